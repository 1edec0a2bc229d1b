"""Scripted OpenAI-compatible HTTP server: a TEST TOOL, not a model.

Nothing here generates language. The server answers ``POST /v1/chat/completions`` from a
*script* (an ordered list of rules with canned replies), from a placeholder instance of the
requested JSON schema, or with a fixed sentence, and it injects latency, HTTP errors and
network faults on demand. It exists for two kinds of callers:

* end-to-end tests of the mesh, which script what the "generator" and the "judge" say and
  then assert on what the server saw (``stats()``);
* the benchmarks (``tests/bench/``), which measure throughput against a known server
  capacity: at most ``capacity`` chat requests are served at once, each taking ``latency``
  seconds, so the ideal throughput is ``capacity / latency`` requests per second.

Conventions that tests may rely on:

* Tokens are whitespace-separated words: ``usage.prompt_tokens`` counts the words of all
  message contents, ``usage.completion_tokens`` the words of the reply, and ``POST /tokenize``
  returns one token per word (its id is a stable CRC32 of the word, modulo 32000).
* Rule ``match`` is a Python regex found with ``re.search`` (use inline flags such as
  ``(?i)`` or ``(?s)``); the empty pattern matches every request.
* A reply with ``content`` unset (``null``) gets the default content: a placeholder
  instance of ``response_format``'s JSON schema if there is one, ``{}`` for plain JSON mode,
  else ``DEFAULT_TEXT``.
* With ``"fill": "varied"`` that default content varies per request instead: every free
  string of the schema instance (no ``enum``, ``const`` or known ``format``), or the plain
  text reply, is made of English-like filler sentences drawn from a ``random.Random`` seeded
  with a hash of the request body and the server's ``seed`` (see ``varied_instance``). The
  same request gets the same reply; different requests (another prompt, another decoding
  ``seed``) get different, loop-free text, filled up to ``maxLength`` (capped at
  ``VARIED_MAX_CHARS`` unless ``minLength`` asks for more) and at least ``minLength`` long.
  Nothing about the text means anything: it lets a load test produce many distinct records
  that pass structural checks (sizes, repetition, near-duplicates).
* With ``"captures": REGEX`` a reply is a template: the regex is searched in the request
  text (all messages, ``role: text`` per line) and each ``{name}`` in the string values of
  ``content`` becomes the named group's text (an unmatched or absent group: empty), so a
  reply can quote its prompt (e.g. evidence quoted from a passage the prompt shows). A
  string value that is exactly ``{name:int}`` becomes the group's digits as a JSON integer.
* Every scripted reply (errors and faults included) occupies a capacity slot for its
  latency. Probabilistic faults are drawn once per chat request, in arrival order, from
  ``random.Random(seed)``, before any rule is consulted (so they never advance a rule's
  replies): an injected 429 is answered at once without a slot (admission control), an
  injected 500 occupies a slot for the default latency (work lost mid-generation).
* ``fault="timeout"`` holds its slot and the connection until the client gives up (closes
  the socket) or the server stops.
* HTTP/1.1 keep-alive with Content-Length (or chunked) request bodies; no pipelining, no
  streaming replies (``stream: true`` is refused with 400).

A script (``set_rules``, ``PUT /_control/rules`` or ``--rules FILE.json``)::

    [
      {"name": "judge", "match": "(?i)rate the following", "field": "system",
       "replies": [{"status": 429, "retry_after": 0.1},
                   {"content": {"score": 2, "reasons": ["too short"]}, "latency_s": 0.05},
                   {"content": {"score": 5}, "fault": "fenced_json"}]},
      {"name": "generator", "match": "", "cycle": true,
       "replies": [{"fault": "truncate"}, {"content": null}]}
    ]

Run standalone (e.g. for a benchmark in a separate process)::

    python -m longweave.testing.scripted_llm_server --port 8081 --capacity 64 --latency 0.05
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import contextvars
import dataclasses
import hashlib
import json
import logging
import math
import random
import re
import signal
import threading
import time
import zlib
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from http import HTTPStatus
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    field_validator,
)

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_TEXT",
    "VARIED_MAX_CHARS",
    "Reply",
    "Rule",
    "ScriptedLLMServer",
    "load_rules",
    "main",
    "minimal_instance",
    "parse_rules",
    "request_key",
    "varied_instance",
    "varied_text",
]

T = TypeVar("T")
log = logging.getLogger(__name__)

DEFAULT_MODEL = "scripted-test-model"
DEFAULT_TEXT = "This is a scripted reply from the longweave test server."
SERVER_HEADER = "longweave-scripted-llm-server (test tool)"

Fault = Literal["timeout", "disconnect", "malformed_json", "fenced_json", "truncate"]
Fill = Literal["placeholder", "varied"]
MatchField = Literal["any", "system", "user", "last_user"]

_MAX_HEADER_BYTES = 1 << 20
_PREVIEW_CHARS = 200
_TOKEN_VOCABULARY = 32000


# --------------------------------------------------------------------------------------
# Script: rules and replies
# --------------------------------------------------------------------------------------


def _valid_regex(pattern: str | None) -> str | None:
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"invalid regex {pattern!r}: {exc}") from exc
    return pattern


class Reply(BaseModel):
    """One scripted answer of the test server."""

    model_config = ConfigDict(extra="forbid")

    # None means "the default content" (schema instance, {} or DEFAULT_TEXT); any non-string
    # JSON value is serialized with json.dumps.
    content: Any = None
    finish_reason: str = "stop"
    # None means the server's default_latency_s.
    latency_s: float | None = Field(default=None, ge=0)
    status: int = 200
    retry_after: float | None = Field(default=None, ge=0)
    fault: Fault | None = None
    error_message: str | None = None
    # False: the reply carries no "usage" (as some servers send), so clients must count.
    usage: bool = True
    # How unset content is filled: "placeholder" (the same filler for every request) or
    # "varied" (seeded sentences derived from a hash of the request; see varied_instance).
    fill: Fill = "placeholder"
    # A regex whose named groups, found in the request's text, fill {name} in content.
    captures: str | None = None

    @field_validator("captures")
    @classmethod
    def _captures_compile(cls, pattern: str | None) -> str | None:
        return _valid_regex(pattern)

    @field_validator("status")
    @classmethod
    def _ok_or_error(cls, status: int) -> int:
        if status != 200 and not 400 <= status <= 599:
            raise ValueError("status must be 200 or an error status (400-599)")
        return status


class Rule(BaseModel):
    """Replies for the requests whose text (see ``field``) matches ``match``."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    match: str = ""
    field: MatchField = "any"
    # Optional regex that must also be found in the request's "model".
    model: str | None = None
    replies: list[Reply] = Field(default_factory=lambda: [Reply()], min_length=1)
    # False: the last reply repeats once the list is exhausted; True: start over.
    cycle: bool = False

    _match_re: re.Pattern[str] = PrivateAttr()
    _model_re: re.Pattern[str] | None = PrivateAttr(default=None)

    @field_validator("match", "model")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        return _valid_regex(pattern)

    def model_post_init(self, __context: Any) -> None:
        self._match_re = re.compile(self.match)
        self._model_re = re.compile(self.model) if self.model is not None else None

    def applies_to(self, chat: _ChatRequest) -> bool:
        if self._model_re is not None and not self._model_re.search(chat.model):
            return False
        return self._match_re.search(chat.text(self.field)) is not None

    def reply_at(self, position: int) -> tuple[int, Reply]:
        index = position % len(self.replies) if self.cycle else min(position, len(self.replies) - 1)
        return index, self.replies[index]


_RULES = TypeAdapter(list[Rule])


def parse_rules(data: Any) -> list[Rule]:
    """Rules from a list of rules, or from ``{"rules": [...]}`` (dicts or ``Rule``s)."""
    if isinstance(data, dict) and set(data) == {"rules"}:
        data = data["rules"]
    return _RULES.validate_python(data)


def load_rules(path: str | Path) -> list[Rule]:
    """Rules from a JSON file holding a list of rules or ``{"rules": [...]}``."""
    return parse_rules(json.loads(Path(path).read_text(encoding="utf-8")))


# --------------------------------------------------------------------------------------
# Placeholder instances of JSON schemas
# --------------------------------------------------------------------------------------

_ALL_PROPERTIES_DEPTH = 12  # deeper than this, only required properties (ends recursion)
_MAX_SCHEMA_DEPTH = 64
_WORD = "lorem"
_FILLER = "lorem ipsum dolor sit amet "
_STRING_BY_FORMAT = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00Z",
    "email": "test@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "127.0.0.1",
    "hostname": "example.com",
}


def minimal_instance(schema: Any, root: Any | None = None) -> Any:
    """A small, deterministic placeholder value valid against ``schema`` (not meaningful data).

    Objects get all their properties (only the required ones when deeply nested or when
    ``maxProperties`` is set), strings a short filler padded/cut to minLength/maxLength,
    numbers ``max(minimum, 0)`` clamped to their bounds, arrays ``minItems`` items,
    enums their first value; local ``$ref``/``$defs`` are followed, ``allOf`` is merged and
    ``anyOf``/``oneOf`` take their first non-null branch. ``pattern`` is not honoured.
    """
    return _instance(schema, schema if root is None else root, 0)


def _instance(schema: Any, root: Any, depth: int) -> Any:
    if depth > _MAX_SCHEMA_DEPTH:
        raise ValueError("schema too deep (unbounded recursion?)")
    if not isinstance(schema, dict):
        return _WORD if schema is True else None
    if "$ref" in schema:
        return _instance(_follow_ref(schema, root), root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "allOf" in schema:
        return _instance(_merge_all_of(schema, root), root, depth + 1)
    for keyword in ("anyOf", "oneOf"):
        if schema.get(keyword):
            rest = {k: v for k, v in schema.items() if k != keyword}
            branch = _pick_branch(schema[keyword], depth)
            return _instance({**rest, **branch}, root, depth + 1)
    return _BUILDERS[_schema_type(schema)](schema, root, depth)


def _follow_ref(schema: dict[str, Any], root: Any) -> dict[str, Any]:
    ref = schema["$ref"]
    if not isinstance(ref, str) or not ref.startswith("#"):
        raise ValueError(f"only local $ref is supported, got {ref!r}")
    node = root
    for part in filter(None, ref[1:].split("/")):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    siblings = {k: v for k, v in schema.items() if k != "$ref"}
    return {**node, **siblings} if siblings else node


def _merge_all_of(schema: dict[str, Any], root: Any) -> dict[str, Any]:
    merged = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema["allOf"]:
        while isinstance(part, dict) and "$ref" in part:
            part = _follow_ref(part, root)
        for key, value in part.items():
            if key == "properties":
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required":
                merged["required"] = [*merged.get("required", []), *value]
            else:
                merged.setdefault(key, value)
    return merged


def _pick_branch(branches: list[Any], depth: int) -> dict[str, Any]:
    def is_null(branch: Any) -> bool:
        return isinstance(branch, dict) and branch.get("type") == "null"

    # Deep inside a recursive schema, null is the way out; elsewhere it is the dullest value.
    preferred = [b for b in branches if is_null(b) == (depth > _ALL_PROPERTIES_DEPTH)]
    branch = (preferred or branches)[0]
    return branch if isinstance(branch, dict) else {}


def _schema_type(schema: dict[str, Any]) -> str:
    declared = schema.get("type")
    if isinstance(declared, list):
        non_null = [t for t in declared if t != "null"]
        declared = non_null[0] if non_null else "null"
    if declared in _BUILDERS:
        return declared
    if {"properties", "required", "additionalProperties"} & schema.keys():
        return "object"
    if {"items", "prefixItems", "minItems"} & schema.keys():
        return "array"
    if {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"} & schema.keys():
        return "number"
    return "string"


def _object(schema: dict[str, Any], root: Any, depth: int) -> dict[str, Any]:
    properties: dict[str, Any] = schema.get("properties", {})
    required: list[str] = schema.get("required", [])
    everything = depth <= _ALL_PROPERTIES_DEPTH and "maxProperties" not in schema
    names = list(properties) if everything else [n for n in properties if n in required]
    names += [n for n in required if n not in properties]
    extra = schema.get("additionalProperties")
    return {
        name: _instance(properties.get(name, extra if isinstance(extra, dict) else {}), root,
                        depth + 1)
        for name in names
    }


def _array(schema: dict[str, Any], root: Any, depth: int) -> list[Any]:
    items = schema.get("items")
    prefix = schema.get("prefixItems") or (items if isinstance(items, list) else [])
    rest = items if isinstance(items, dict) else {}
    count = schema.get("minItems", 0)
    values = [_instance(prefix[i] if i < len(prefix) else rest, root, depth + 1)
              for i in range(count)]
    return _distinct(values) if schema.get("uniqueItems") else values


def _distinct(values: list[Any]) -> list[Any]:
    """Makes scalar placeholders unique (for uniqueItems); containers are left as they are."""
    out: list[Any] = []
    for i, value in enumerate(values):
        if isinstance(value, str) and i:
            value = f"{value}{i}"
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            value += i
        out.append(value)
    return out


def _string(schema: dict[str, Any], _root: Any, _depth: int) -> str:
    writer = _VARIED_WRITER.get()
    if writer is not None and schema.get("format") not in _STRING_BY_FORMAT:
        return writer.text(schema.get("minLength", 0), schema.get("maxLength"))
    value = _STRING_BY_FORMAT.get(schema.get("format", ""), _WORD)
    min_length = schema.get("minLength", 0)
    if len(value) < min_length:
        value = (_FILLER * (min_length // len(_FILLER) + 1))[:min_length]
    max_length = schema.get("maxLength")
    return value if max_length is None else value[:max_length]


def _number(schema: dict[str, Any], _root: Any, _depth: int) -> int | float:
    return _bounded_number(schema, integer=False)


def _integer(schema: dict[str, Any], _root: Any, _depth: int) -> int:
    return int(_bounded_number(schema, integer=True))


def _bounded_number(schema: dict[str, Any], integer: bool) -> int | float:
    low, high = _bounds(schema, integer)
    if integer:
        low = math.ceil(low) if low is not None else None
        high = math.floor(high) if high is not None else None
    value = max(low, 0) if low is not None else 0
    if high is not None and value > high:
        value = high
    multiple = schema.get("multipleOf")
    if multiple:
        up = math.ceil(value / multiple) * multiple
        value = up if high is None or up <= high else math.floor(value / multiple) * multiple
    return value


def _bounds(schema: dict[str, Any], integer: bool) -> tuple[float | None, float | None]:
    low, high = schema.get("minimum"), schema.get("maximum")
    exclusive_low, exclusive_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    # Draft 4 spelled exclusivity as booleans next to minimum/maximum.
    if exclusive_low is True and low is not None:
        exclusive_low, low = low, None
    if exclusive_high is True and high is not None:
        exclusive_high, high = high, None
    if isinstance(exclusive_low, (int, float)) and not isinstance(exclusive_low, bool):
        candidate = math.floor(exclusive_low) + 1 if integer else exclusive_low + 1
        if isinstance(exclusive_high, (int, float)) and candidate >= exclusive_high:
            candidate = (exclusive_low + exclusive_high) / 2
        low = candidate if low is None else max(low, candidate)
    if isinstance(exclusive_high, (int, float)) and not isinstance(exclusive_high, bool):
        candidate = math.ceil(exclusive_high) - 1 if integer else exclusive_high - 1
        if low is not None and candidate < low:
            candidate = low
        high = candidate if high is None else min(high, candidate)
    return low, high


_BUILDERS: dict[str, Callable[[dict[str, Any], Any, int], Any]] = {
    "object": _object,
    "array": _array,
    "string": _string,
    "integer": _integer,
    "number": _number,
    "boolean": lambda _s, _r, _d: True,
    "null": lambda _s, _r, _d: None,
}


# --------------------------------------------------------------------------------------
# Varied filler text (``"fill": "varied"``)
# --------------------------------------------------------------------------------------

VARIED_MAX_CHARS = 4000  # a string without maxLength, or a huge one, stops here

_VERBS = ("check", "send", "confirm", "review", "update", "sign", "request", "compare",
          "print", "renew", "cancel", "book", "collect", "submit", "scan", "stamp", "forward",
          "track", "replace", "report", "approve", "register", "copy", "file", "verify")
_NOUNS = ("ticket", "receipt", "deadline", "form", "reference", "manager", "refund", "office",
          "contract", "appointment", "schedule", "invoice", "account", "meter", "policy",
          "passport", "voucher", "statement", "permit", "letter", "parcel", "deposit",
          "booking", "licence", "warranty", "claim", "quote", "balance", "notice", "visa",
          "certificate", "prescription", "tenancy", "route", "budget", "payslip", "order",
          "report", "fine", "subscription")
_ADJECTIVES = ("signed", "late", "missing", "new", "second", "printed", "digital", "stamped",
               "original", "updated", "urgent", "partial", "monthly", "annual", "temporary",
               "corrected", "shared", "local", "final", "spare")
_PLACES = ("front desk", "branch", "clerk", "helpline", "landlord", "agency", "council",
           "bank", "post office", "pharmacy", "station", "school", "insurer", "embassy",
           "supplier")
_WHEN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "the weekend", "next month",
         "the 14th", "noon", "the end of the week", "tomorrow morning", "the next visit")
_TEMPLATES = (
    "Please {v} the {a} {n} before {d}.",
    "I tried to {v} my {n}, but the {m} was {a}.",
    "The {n} number is {k}, and the {m} arrived by {d}.",
    "Could you {v} whether the {n} covers the {m}?",
    "We usually {v} a {n} within {k} days of the {m}.",
    "If the {n} is {a}, {v} the {m} and keep a copy.",
    "That depends on the {n}; the {p} can {v} it by {d}.",
    "Is there a fee to {v} the {n} after {k} weeks?",
    "The {a} {n} needs a {m} from the {p}.",
    "Once the {p} confirms the {n}, you can {v} the {m}.",
    "Bring the {n} and a {a} {m} to the {p} by {d}.",
    "About {k} people {v} their {n} at the {p} every week.",
    "Ask the {p} to {v} the {n} in writing.",
    "My {n} shows {k}, while the {m} says otherwise.",
    "A {a} {n} is easier to {v} than a {m}.",
    "Keep the {n} until the {p} has checked the {m}.",
    # More shapes of sentence, so a long text reads (and compresses) like prose rather
    # than one frame repeated: the validator rejects text whose characters compress past
    # Whisper's 2.4.
    "Yesterday the {p} said my {n} would be ready by {d}, which surprised me.",
    "Honestly, nobody told us that a {a} {n} could delay the whole {m}.",
    "You may {v} it online, although many people still prefer to go to the {p} in person.",
    "Without a {a} {n}, the {p} cannot process anything further.",
    "My neighbour waited {k} minutes at the {p} just to {v} a single {n}.",
    "Remember that fees change every spring; last year they rose by {k} cents.",
    "When did you last {v} your {n}? It matters for the {m}.",
    "Fortunately, the {m} can be sorted out later, even after {d}.",
    "There were {k} complaints about the {a} {m} before anyone reacted.",
    "Which {p} handles this kind of {n} in your area?",
    "Send me a photo of the {n}, front and back, and I will {v} the rest.",
    "Our office closes early on {d}, so plan around that.",
    "Whoever signed the {m} should also {v} the {n}.",
    "It took {k} days, three phone calls and a lot of patience.",
    "Apparently the {p} lost track of the {a} {n} during the move.",
    "Nothing on the {m} mentions a {n}, strangely enough.",
    "Should I {v} both documents or just the {n}?",
    "After that, expect a short letter confirming the {m}.",
    "Many customers forget to {v} the {n}, and then everything stalls.",
    "The rules differ between regions, so ask the {p} first.",
    "Thanks, that already clears up most of my doubts about the {n}.",
    "In short: {v} the {n}, wait for the {m}, then call the {p}.",
    "A clerk at the {p} explained why the {m} was {a}.",
    "Perhaps a quick visit on {d} would settle it faster than email.",
)
_NGRAM = 5
_MAX_NGRAM_REPEATS = 2  # the validators call 4 repeats of a 5-word phrase a loop
_WORDS_RE = re.compile(r"\w+")

# The writer of the current varied_instance() call, consulted by _string (a context variable
# keeps the schema builders' signatures unchanged and is safe across threads and tasks).
_VARIED_WRITER: contextvars.ContextVar[_SentenceWriter | None] = contextvars.ContextVar(
    "_VARIED_WRITER", default=None)


class _SentenceWriter:
    """Seeded English-like sentences; no sentence and no 5-word phrase repeats in a text."""

    def __init__(self, key: str) -> None:
        self._rng = random.Random(key)  # str seeds are hashed with SHA-512: stable everywhere

    def sentence(self) -> str:
        rng = self._rng
        return rng.choice(_TEMPLATES).format(
            v=rng.choice(_VERBS), n=rng.choice(_NOUNS), m=rng.choice(_NOUNS),
            a=rng.choice(_ADJECTIVES), p=rng.choice(_PLACES), d=rng.choice(_WHEN),
            k=rng.randint(2, 999))

    def text(self, min_length: int = 0, max_length: int | None = None) -> str:
        """Sentences appended while they fit under the upper bound, then padded with words
        to ``min_length`` and cut to ``max_length`` if the bounds are too tight for one."""
        upper = max_length if max_length is not None else self._rng.randint(60, 160)
        upper = min(upper, max(min_length, VARIED_MAX_CHARS))
        text, words, grams, sentences = "", [], Counter[tuple[str, ...]](), set()
        misses = 0
        while misses < 8:  # the room left is too small for most sentences
            sentence = self.sentence()
            candidate = f"{text} {sentence}" if text else sentence
            new_words = _WORDS_RE.findall(sentence.lower())
            tail = words[-(_NGRAM - 1):] + new_words
            new_grams = Counter(tuple(tail[i:i + _NGRAM]) for i in range(len(tail) - _NGRAM + 1))
            if (len(candidate) > upper or sentence in sentences
                    or any(grams[g] + n > _MAX_NGRAM_REPEATS for g, n in new_grams.items())):
                misses += 1
                continue
            text, misses = candidate, 0
            words += new_words
            grams.update(new_grams)
            sentences.add(sentence)
        while len(text) < min_length:
            text = f"{text} {self._rng.choice(_NOUNS)}" if text else self._rng.choice(_NOUNS)
        return text if max_length is None else text[:max_length]


def varied_instance(schema: Any, key: str, root: Any | None = None) -> Any:
    """Like ``minimal_instance``, but each free string (no enum, const or known format) is
    filler sentences from ``random.Random(key)``, filled up to its maxLength (at most
    ``VARIED_MAX_CHARS`` unless minLength asks for more) and at least minLength long. The
    same key gives the same instance; different keys give different, loop-free strings."""
    token = _VARIED_WRITER.set(_SentenceWriter(key))
    try:
        return _instance(schema, schema if root is None else root, 0)
    finally:
        _VARIED_WRITER.reset(token)


def varied_text(key: str, min_length: int = 0, max_length: int | None = None) -> str:
    """Filler sentences from ``random.Random(key)`` (60-160 characters without bounds)."""
    return _SentenceWriter(key).text(min_length, max_length)


def request_key(body: dict[str, Any], seed: int) -> str:
    """What seeds a varied reply: a hash of the whole request body and the server's seed."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{seed}\0{canonical}".encode()).hexdigest()


# --------------------------------------------------------------------------------------
# Chat requests and reply rendering
# --------------------------------------------------------------------------------------


class _BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclasses.dataclass(slots=True)
class _ChatRequest:
    body: dict[str, Any]
    model: str
    messages: list[tuple[str, str]]  # (role, text)
    _texts: dict[str, str] = dataclasses.field(default_factory=dict)

    def text(self, field: MatchField) -> str:
        """The text a rule matches on; cached because prompts can be long and rules many."""
        if field not in self._texts:
            self._texts[field] = self._build_text(field)
        return self._texts[field]

    def _build_text(self, field: MatchField) -> str:
        if field == "any":
            return "\n".join(f"{role}: {text}" for role, text in self.messages)
        if field == "last_user":
            return self.last_user()
        return "\n".join(text for role, text in self.messages if role == field)

    def last_user(self) -> str:
        return next((text for role, text in reversed(self.messages) if role == "user"), "")

    def prompt_words(self) -> int:
        return sum(_word_count(text) for _, text in self.messages)


def _parse_chat(raw: bytes, default_model: str) -> _ChatRequest:
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise _BadRequest(f"request body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise _BadRequest("request body must be a JSON object")
    if body.get("stream"):
        raise _BadRequest("streaming is not supported by the scripted test server")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _BadRequest("'messages' must be a non-empty list")
    if not all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages):
        raise _BadRequest("each message must be an object with a string 'role'")
    model = body.get("model")
    return _ChatRequest(
        body=body,
        model=model if isinstance(model, str) and model else default_model,
        messages=[(m["role"], _message_text(m.get("content"))) for m in messages],
    )


def _message_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}, ...]
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _word_count(text: str) -> int:
    return len(text.split())


def _requested_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    response_format = body.get("response_format")
    if not isinstance(response_format, dict):
        return None
    if response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema") or {}
        schema = spec.get("schema") if isinstance(spec, dict) else None
        return schema if isinstance(schema, dict) else {}
    schema = response_format.get("schema")  # llama.cpp's {"type": "json_object", "schema": ...}
    return schema if isinstance(schema, dict) else None


def _default_content(body: dict[str, Any], fill: Fill = "placeholder", seed: int = 0) -> Any:
    schema = _requested_schema(body)
    key = request_key(body, seed) if fill == "varied" else None
    if schema is not None:
        return minimal_instance(schema) if key is None else varied_instance(schema, key)
    response_format = body.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") == "json_object":
        return {}
    return DEFAULT_TEXT if key is None else varied_text(key)


def _fill_template(value: Any, groups: dict[str, str]) -> Any:
    if isinstance(value, str):
        whole = re.fullmatch(r"\{(\w+):int\}", value)
        if whole is not None and groups.get(whole.group(1), "").strip().isdigit():
            return int(groups[whole.group(1)])
        return re.sub(r"\{(\w+)\}", lambda m: groups.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [_fill_template(v, groups) for v in value]
    if isinstance(value, dict):
        return {k: _fill_template(v, groups) for k, v in value.items()}
    return value


def _render_content(reply: Reply, body: dict[str, Any], seed: int = 0,
                    request_text: str = "") -> tuple[str, str]:
    """(content text, finish_reason) of a successful reply, with content faults applied."""
    content = (reply.content if reply.content is not None
               else _default_content(body, reply.fill, seed))
    if reply.captures is not None:
        found = re.search(reply.captures, request_text)
        groups = {k: v or "" for k, v in found.groupdict().items()} if found else {}
        names = re.compile(reply.captures).groupindex
        content = _fill_template(content, {**dict.fromkeys(names, ""), **groups})
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    if reply.fault == "malformed_json":
        return _break_json(text), reply.finish_reason
    if reply.fault == "fenced_json":
        return f"Sure! Here is the JSON you asked for:\n```json\n{text}\n```\n", reply.finish_reason
    if reply.fault == "truncate":
        return text[: max(1, len(text) // 2)], "length"
    return text, reply.finish_reason


def _break_json(text: str) -> str:
    # An unterminated string after a trailing comma can never parse, whatever came before.
    return text.rstrip().rstrip("}]") + ', "'


_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}


def _error_payload(status: int, message: str | None) -> dict[str, Any]:
    fallback_type = "server_error" if status >= 500 else "invalid_request_error"
    return {
        "error": {
            "message": message or f"{_reason(status)} (scripted by the test server)",
            "type": _ERROR_TYPES.get(status, fallback_type),
            "param": None,
            "code": status,
        }
    }


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _format_seconds(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


# --------------------------------------------------------------------------------------
# HTTP/1.1 on asyncio streams
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class _HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool

    def json(self) -> Any:
        try:
            return json.loads(self.body) if self.body else None
        except ValueError as exc:
            raise _BadRequest(f"request body is not JSON: {exc}") from exc


@dataclasses.dataclass(slots=True)
class _HttpResponse:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def json(cls, status: int, payload: Any,
             headers: tuple[tuple[str, str], ...] = ()) -> _HttpResponse:
        return cls(status, json.dumps(payload, ensure_ascii=False).encode(), headers)

    @classmethod
    def error(cls, status: int, message: str | None = None,
              retry_after: float | None = None) -> _HttpResponse:
        headers: tuple[tuple[str, str], ...] = ()
        if retry_after is not None:
            # Retry-After (seconds, possibly fractional) plus the millisecond variant OpenAI
            # clients prefer.
            headers = (("Retry-After", _format_seconds(retry_after)),
                       ("retry-after-ms", str(round(retry_after * 1000))))
        return cls.json(status, _error_payload(status, message), headers)

    def encode(self, keep_alive: bool) -> bytes:
        lines = [
            f"HTTP/1.1 {self.status} {_reason(self.status)}",
            f"Server: {SERVER_HEADER}",
            "Content-Type: application/json",
            f"Content-Length: {len(self.body)}",
            "Connection: keep-alive" if keep_alive else "Connection: close",
            *(f"{name}: {value}" for name, value in self.headers),
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


async def _read_request(reader: asyncio.StreamReader) -> _HttpRequest | None:
    """The next request on a connection, or None when the client closed it cleanly."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise _BadRequest("incomplete request head") from exc
        return None
    except asyncio.LimitOverrunError as exc:
        raise _BadRequest("request head too large", 431) from exc
    lines = head.decode("latin-1").lstrip("\r\n").split("\r\n")
    try:
        method, target, version = lines[0].split(" ", 2)
    except ValueError as exc:
        raise _BadRequest(f"bad request line {lines[0]!r}") from exc
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await _read_body(reader, headers)
    return _HttpRequest(method, target.split("?", 1)[0], headers, body,
                        _wants_keep_alive(version, headers))


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return await _read_chunked(reader)
    try:
        length = int(headers.get("content-length", "0"))
    except ValueError as exc:
        raise _BadRequest("bad Content-Length") from exc
    return await reader.readexactly(length) if length > 0 else b""


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError as exc:
            raise _BadRequest("bad chunk size") from exc
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)


def _wants_keep_alive(version: str, headers: dict[str, str]) -> bool:
    connection = headers.get("connection", "").lower()
    if version.strip().upper() == "HTTP/1.0":
        return "keep-alive" in connection
    return "close" not in connection


class _Connection:
    """One client socket, able to notice the client leaving while its reply is pending."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.must_close = False

    async def send(self, response: _HttpResponse, keep_alive: bool) -> None:
        self.writer.write(response.encode(keep_alive))
        await self.writer.drain()

    async def unless_client_leaves(self, work: Awaitable[T]) -> tuple[bool, T | None]:
        """Runs ``work``; cancels it if the client closes the socket first.

        Returns (client_left, result).
        """
        task = asyncio.ensure_future(work)
        watch = asyncio.ensure_future(self.reader.read(1))
        try:
            await asyncio.wait((task, watch), return_when=asyncio.FIRST_COMPLETED)
            if watch.done() and not task.done():
                if watch.exception() is not None or watch.result() == b"":
                    task.cancel()
                    await asyncio.wait((task,))
                    return True, None
                # Bytes before our reply means pipelining, which we do not support: finish
                # this reply, then hang up.
                self.must_close = True
            return False, await task
        finally:
            for pending in (task, watch):
                pending.cancel()
            # The reader must be free again before the next request is read from it.
            await asyncio.wait((task, watch))


# --------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class _RequestRecord:
    seq: int
    model: str
    rule: str | None
    reply_index: int | None
    fault: str | None
    last_user: str
    arrived: float
    status: int | None = None
    outcome: str | None = None
    duration_s: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(slots=True)
class _Stats:
    log_size: int
    requests_total: int = 0
    connections_total: int = 0
    unmatched: int = 0
    max_concurrency: int = 0
    max_queued: int = 0
    rule_hits: Counter[str] = dataclasses.field(default_factory=Counter)
    outcomes: Counter[str] = dataclasses.field(default_factory=Counter)
    statuses: Counter[int] = dataclasses.field(default_factory=Counter)
    routes: Counter[str] = dataclasses.field(default_factory=Counter)
    recent: deque[_RequestRecord] = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.recent = deque(maxlen=self.log_size)


@dataclasses.dataclass(slots=True)
class _Choice:
    """What to do with one chat request, decided on arrival."""

    rule: str | None
    reply_index: int | None
    reply: Reply
    injected: bool = False


def _rule_key(rule: Rule, index: int) -> str:
    return rule.name if rule.name is not None else f"#{index}"


# --------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------

Handler = Callable[[_HttpRequest, _Connection], Awaitable[_HttpResponse | None]]


class ScriptedLLMServer:
    """A scripted OpenAI-compatible HTTP server for tests and benchmarks (not a model).

    Use ``async with ScriptedLLMServer(...) as server:`` inside an event loop, or
    ``start_in_thread()`` / ``stop_thread()`` (or a plain ``with``) from synchronous code.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        capacity: int | None = None,
        default_latency_s: float = 0.0,
        rules: Iterable[Rule | dict[str, Any]] | None = None,
        seed: int = 0,
        error_rate_429: float = 0.0,
        retry_after_s: float | None = 1.0,
        error_rate_500: float = 0.0,
        model: str = DEFAULT_MODEL,
        log_size: int = 1000,
    ) -> None:
        if capacity is not None and capacity < 1:
            raise ValueError("capacity must be >= 1 or None (unlimited)")
        if not 0 <= error_rate_429 + error_rate_500 <= 1:
            raise ValueError("error rates must be >= 0 and sum to at most 1")
        self.host = host
        self.capacity = capacity
        self.default_latency_s = default_latency_s
        self.seed = seed
        self.error_rate_429 = error_rate_429
        self.retry_after_s = retry_after_s
        self.error_rate_500 = error_rate_500
        self.model = model
        self._requested_port = port
        self._bound_port: int | None = None
        self._rules: list[Rule] = parse_rules(list(rules or []))
        self._positions = [0] * len(self._rules)
        self._rng = random.Random(seed)
        self._stats = _Stats(log_size)
        self._reset_rule_hits()
        self._active = 0
        self._queued = 0
        self._slots: asyncio.Semaphore | None = None
        self._server: asyncio.Server | None = None
        self._connection_tasks: set[asyncio.Task[None]] = set()
        self._thread: threading.Thread | None = None
        self._thread_loop: asyncio.AbstractEventLoop | None = None
        self._routes: dict[tuple[str, str], Handler] = {
            ("POST", "/v1/chat/completions"): self._chat_completions,
            ("POST", "/chat/completions"): self._chat_completions,
            ("GET", "/v1/models"): self._models,
            ("GET", "/models"): self._models,
            ("GET", "/health"): self._health,
            ("POST", "/tokenize"): self._tokenize,
            ("PUT", "/_control/rules"): self._put_rules,
            ("POST", "/_control/reset"): self._reset,
            ("GET", "/_control/stats"): self._get_stats,
        }

    # ---- lifecycle -------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._bound_port is None:
            raise RuntimeError("the server is not started")
        return self._bound_port

    @property
    def url(self) -> str:
        """``http://host:port`` (no path)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, ``http://host:port/v1``."""
        return f"{self.url}/v1"

    async def start(self) -> ScriptedLLMServer:
        if self._server is not None:
            raise RuntimeError("the server is already started")
        self._slots = asyncio.Semaphore(self.capacity) if self.capacity is not None else None
        self._server = await asyncio.start_server(
            self._on_client, self.host, self._requested_port,
            limit=_MAX_HEADER_BYTES, backlog=1024, reuse_address=True,
        )
        self._bound_port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stops listening and closes every connection, hung ``timeout`` replies included."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        tasks = list(self._connection_tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()

    async def __aenter__(self) -> ScriptedLLMServer:
        return await self.start()

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    def start_in_thread(self, timeout_s: float = 10.0) -> ScriptedLLMServer:
        """Runs the server on its own event loop in a daemon thread (for synchronous callers)."""
        if self._thread is not None:
            raise RuntimeError("the server thread is already running")
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._thread_loop = loop
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="scripted-llm-server", daemon=True)
        self._thread.start()
        if not ready.wait(timeout_s):
            raise TimeoutError("the scripted LLM server did not start in time")
        if failure:
            self._thread, self._thread_loop = None, None
            raise failure[0]
        return self

    def stop_thread(self, timeout_s: float = 10.0) -> None:
        thread, loop = self._thread, self._thread_loop
        if thread is None or loop is None:
            return
        asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout_s)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout_s)
        self._thread, self._thread_loop = None, None

    def __enter__(self) -> ScriptedLLMServer:
        return self.start_in_thread()

    def __exit__(self, *_exc: object) -> None:
        self.stop_thread()

    # ---- script and statistics (safe to call from any thread) -------------------------

    def set_rules(self, rules: Iterable[Rule | dict[str, Any]] | dict[str, Any]) -> None:
        """Replaces the script; rule positions and per-rule hit counts start over."""
        parsed = parse_rules(rules if isinstance(rules, dict) else list(rules))
        self._on_loop(lambda: self._install_rules(parsed))

    def reset(self) -> None:
        """Clears all counters and the request log, rewinds every rule and re-seeds faults."""
        self._on_loop(self._reset_state)

    def stats(self) -> dict[str, Any]:
        """A JSON-ready snapshot (also ``GET /_control/stats``).

        Keys: ``requests_total`` (chat requests), ``connections_total``, ``rule_hits`` (rule
        name, or ``#<index>`` for unnamed rules -> count), ``unmatched``, ``outcomes`` ("ok",
        "error", a content fault's name, "timeout", "disconnect", "client_gone",
        "injected_429", "injected_500", "bad_request" -> count), ``statuses`` ("200" -> count),
        ``routes``, ``in_flight``, ``queued``, ``max_concurrency``, ``max_queued``,
        ``capacity`` and ``recent``: the last ``log_size`` chat requests, oldest first, each
        with seq, model, rule, reply_index, fault, last_user (first 200 characters),
        arrived (monotonic seconds), status, outcome and duration_s.
        """
        return self._on_loop(self._snapshot)

    def _on_loop(self, fn: Callable[[], T]) -> T:
        loop = self._thread_loop
        if loop is None or threading.current_thread() is self._thread or not loop.is_running():
            return fn()
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return future.result(timeout=10)

    def _install_rules(self, rules: list[Rule]) -> None:
        self._rules = rules
        self._positions = [0] * len(rules)
        self._reset_rule_hits()

    def _reset_rule_hits(self) -> None:
        self._stats.rule_hits = Counter({_rule_key(r, i): 0 for i, r in enumerate(self._rules)})

    def _reset_state(self) -> None:
        self._positions = [0] * len(self._rules)
        self._rng = random.Random(self.seed)
        self._stats = _Stats(self._stats.log_size, max_concurrency=self._active)
        self._reset_rule_hits()

    def _snapshot(self) -> dict[str, Any]:
        stats = self._stats
        return {
            "requests_total": stats.requests_total,
            "connections_total": stats.connections_total,
            "rule_hits": dict(stats.rule_hits),
            "unmatched": stats.unmatched,
            "outcomes": dict(stats.outcomes),
            "statuses": {str(status): n for status, n in sorted(stats.statuses.items())},
            "routes": dict(stats.routes),
            "in_flight": self._active,
            "queued": self._queued,
            "max_concurrency": stats.max_concurrency,
            "max_queued": stats.max_queued,
            "capacity": self.capacity,
            "recent": [record.as_dict() for record in stats.recent],
        }

    # ---- connections -----------------------------------------------------------------

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._server is None:  # accepted while stop() was running
            writer.close()
            return
        task = asyncio.current_task()
        assert task is not None
        self._connection_tasks.add(task)
        self._stats.connections_total += 1
        try:
            await self._serve_connection(_Connection(reader, writer))
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            # Only stop() cancels connection tasks; re-raising would make asyncio's stream
            # callback log the cancellation as an error.
            pass
        finally:
            self._connection_tasks.discard(task)
            writer.close()

    async def _serve_connection(self, conn: _Connection) -> None:
        while True:
            try:
                request = await _read_request(conn.reader)
            except _BadRequest as exc:
                await conn.send(_HttpResponse.error(exc.status, str(exc)), keep_alive=False)
                return
            if request is None:
                return
            response = await self._route(request, conn)
            if response is None:  # hang up without an answer (a fault, or the client left)
                return
            keep_alive = request.keep_alive and not conn.must_close
            await conn.send(response, keep_alive)
            if not keep_alive:
                return

    async def _route(self, request: _HttpRequest, conn: _Connection) -> _HttpResponse | None:
        self._stats.routes[f"{request.method} {request.path}"] += 1
        handler = self._routes.get((request.method, request.path))
        if handler is None:
            known_path = any(path == request.path for _, path in self._routes)
            status = 405 if known_path else 404
            message = f"{request.method} {request.path}: {_reason(status)}"
            return _HttpResponse.error(status, message)
        try:
            return await handler(request, conn)
        except _BadRequest as exc:
            return _HttpResponse.error(exc.status, str(exc))
        except Exception as exc:  # a bug here should fail the test loudly, not hang it
            log.exception("scripted LLM server failed on %s %s", request.method, request.path)
            return _HttpResponse.error(500, f"scripted test server bug: {exc!r}")

    # ---- chat completions --------------------------------------------------------------

    async def _chat_completions(self, request: _HttpRequest,
                                conn: _Connection) -> _HttpResponse | None:
        try:
            chat = _parse_chat(request.body, self.model)
        except _BadRequest:
            self._stats.outcomes["bad_request"] += 1
            self._stats.statuses[400] += 1
            raise
        choice = self._choose(chat)
        record = self._arrive(chat, choice)
        if choice.injected and choice.reply.status == 429:
            return self._finish(record, "injected_429", _HttpResponse.error(
                429, choice.reply.error_message, retry_after=choice.reply.retry_after))
        latency = self._latency(choice.reply)
        serve = self._serve_in_slot(chat, choice, record, latency)
        if self._slots is None and latency == 0 and choice.reply.fault != "timeout":
            return await serve  # nothing to wait for: skip the disconnect watch
        client_left, response = await conn.unless_client_leaves(serve)
        if client_left:
            self._finish(record, "client_gone", None)
        return response

    def _choose(self, chat: _ChatRequest) -> _Choice:
        draw = self._rng.random()
        if draw < self.error_rate_429:
            return _Choice(None, None, Reply(status=429, retry_after=self.retry_after_s,
                                             error_message="injected rate limit"), injected=True)
        if draw < self.error_rate_429 + self.error_rate_500:
            return _Choice(None, None, Reply(status=500, error_message="injected server error"),
                           injected=True)
        for index, rule in enumerate(self._rules):
            if rule.applies_to(chat):
                reply_index, reply = rule.reply_at(self._positions[index])
                self._positions[index] += 1
                return _Choice(_rule_key(rule, index), reply_index, reply)
        return _Choice(None, None, Reply())

    def _arrive(self, chat: _ChatRequest, choice: _Choice) -> _RequestRecord:
        stats = self._stats
        stats.requests_total += 1
        if choice.rule is not None:
            stats.rule_hits[choice.rule] += 1
        elif not choice.injected:
            stats.unmatched += 1
        record = _RequestRecord(
            seq=stats.requests_total, model=chat.model, rule=choice.rule,
            reply_index=choice.reply_index, fault=choice.reply.fault,
            last_user=chat.last_user()[:_PREVIEW_CHARS], arrived=time.monotonic(),
        )
        stats.recent.append(record)
        return record

    def _finish(self, record: _RequestRecord, outcome: str,
                response: _HttpResponse | None) -> _HttpResponse | None:
        if record.outcome is None:  # a hung "timeout" is counted once, when it starts hanging
            record.outcome = outcome
            record.status = response.status if response is not None else None
            record.duration_s = round(time.monotonic() - record.arrived, 6)
            self._stats.outcomes[outcome] += 1
            if response is not None:
                self._stats.statuses[response.status] += 1
        return response

    def _latency(self, reply: Reply) -> float:
        return self.default_latency_s if reply.latency_s is None else reply.latency_s

    async def _serve_in_slot(self, chat: _ChatRequest, choice: _Choice, record: _RequestRecord,
                             latency: float) -> _HttpResponse | None:
        async with self._slot():
            if latency > 0:
                await asyncio.sleep(latency)
            reply = choice.reply
            if reply.fault == "timeout":
                self._finish(record, "timeout", None)
                await asyncio.get_running_loop().create_future()  # until cancelled
            if reply.fault == "disconnect":
                return self._finish(record, "disconnect", None)
            if reply.status != 200:
                outcome = f"injected_{reply.status}" if choice.injected else "error"
                return self._finish(record, outcome, _HttpResponse.error(
                    reply.status, reply.error_message, retry_after=reply.retry_after))
            try:
                response = self._completion(chat, reply, record.seq)
            except ValueError as exc:  # e.g. a schema we cannot instantiate
                return self._finish(record, "error", _HttpResponse.error(
                    500, f"scripted test server cannot build a default reply: {exc}"))
            return self._finish(record, reply.fault or "ok", response)

    @contextlib.asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        if self._slots is not None:
            self._queued += 1
            self._stats.max_queued = max(self._stats.max_queued, self._queued)
            try:
                await self._slots.acquire()
            finally:
                self._queued -= 1
        self._active += 1
        self._stats.max_concurrency = max(self._stats.max_concurrency, self._active)
        try:
            yield
        finally:
            self._active -= 1
            if self._slots is not None:
                self._slots.release()

    def _completion(self, chat: _ChatRequest, reply: Reply, seq: int) -> _HttpResponse:
        text, finish_reason = _render_content(reply, chat.body, self.seed, chat.text("any"))
        prompt_tokens, completion_tokens = chat.prompt_words(), _word_count(text)
        payload: dict[str, Any] = {
            "id": f"chatcmpl-scripted-{seq}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": chat.model,
            "system_fingerprint": "scripted-test-server",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "logprobs": None,
                "finish_reason": finish_reason,
            }],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
        if not reply.usage:
            del payload["usage"]
        return _HttpResponse.json(200, payload)

    # ---- other routes ------------------------------------------------------------------

    async def _models(self, _request: _HttpRequest, _conn: _Connection) -> _HttpResponse:
        return _HttpResponse.json(200, {"object": "list", "data": [{
            "id": self.model, "object": "model", "created": 0, "owned_by": "scripted-test-server",
        }]})

    async def _health(self, _request: _HttpRequest, _conn: _Connection) -> _HttpResponse:
        return _HttpResponse.json(200, {"status": "ok"})

    async def _tokenize(self, request: _HttpRequest, _conn: _Connection) -> _HttpResponse:
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("content"), str):
            raise _BadRequest("expected {\"content\": <string>}")
        words = body["content"].split()
        ids = [zlib.crc32(word.encode()) % _TOKEN_VOCABULARY for word in words]
        if body.get("with_pieces"):
            return _HttpResponse.json(200, {"tokens": [
                {"id": i, "piece": w} for i, w in zip(ids, words, strict=True)]})
        return _HttpResponse.json(200, {"tokens": ids})

    async def _put_rules(self, request: _HttpRequest, _conn: _Connection) -> _HttpResponse:
        try:
            rules = parse_rules(request.json())
        except ValidationError as exc:
            raise _BadRequest(f"invalid rules: {exc}") from exc
        self._install_rules(rules)
        return _HttpResponse.json(200, {"rules": len(rules)})

    async def _reset(self, _request: _HttpRequest, _conn: _Connection) -> _HttpResponse:
        self._reset_state()
        return _HttpResponse.json(200, {"reset": True})

    async def _get_stats(self, _request: _HttpRequest, _conn: _Connection) -> _HttpResponse:
        return _HttpResponse.json(200, self._snapshot())


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m longweave.testing.scripted_llm_server",
        description="Scripted OpenAI-compatible test server with latency and fault injection "
                    "(a test tool, not a model).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--capacity", type=int, default=None,
                        help="chat requests served at once (default: unlimited)")
    parser.add_argument("--latency", type=float, default=0.0, help="default latency, seconds")
    parser.add_argument("--error-rate-429", type=float, default=0.0)
    parser.add_argument("--retry-after", type=float, default=1.0,
                        help="Retry-After of injected 429s, seconds")
    parser.add_argument("--error-rate-500", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--rules", type=Path, default=None,
                        help="JSON file: a list of rules or {\"rules\": [...]}")
    return parser.parse_args(argv)


async def _serve_until_signalled(server: ScriptedLLMServer) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stopping.set)
    async with server:
        print(f"listening on {server.url}", flush=True)
        await stopping.wait()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    server = ScriptedLLMServer(
        host=args.host, port=args.port, capacity=args.capacity,
        default_latency_s=args.latency, rules=load_rules(args.rules) if args.rules else None,
        seed=args.seed, error_rate_429=args.error_rate_429, retry_after_s=args.retry_after,
        error_rate_500=args.error_rate_500, model=args.model,
    )
    asyncio.run(_serve_until_signalled(server))
    return 0


if __name__ == "__main__":
    # Run the importable module rather than this __main__ copy, so there is one set of model
    # classes and pydantic can resolve their annotations whatever launched us (runpy, cProfile).
    from longweave.testing.scripted_llm_server import main as _main

    raise SystemExit(_main())
