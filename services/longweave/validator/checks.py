"""Rule checks. Each check is registered for the paradigms it applies to (or for all) and
returns a machine-readable CheckResult (name, passed, reason, the segments at fault). A
check reads the record as its paradigm's `Part`s: who speaks, what, and which unit wrote
it."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from longweave.complexify.specs import check_layers
from longweave.contracts import CheckResult
from longweave.llm.parsing import ReplyParseError, extract_json
from longweave.llm.tokens import estimate_tokens
from longweave.paradigms import Part
from longweave.registry import Registry
from longweave.validator.language import detect_language
from longweave.validator.minhash import DUPLICATE_JACCARD, Match
from longweave.validator.policy import find_pii


@dataclass(frozen=True)
class Draft:
    """What the checks look at: the record's parts, the sample's spec (the request's common
    fields, and the paradigm's under ``params``), how the units were produced, and what
    the validator measured beforehand (token count, the closest earlier record of the
    run)."""

    parts: list[Part]
    spec: dict[str, Any]
    finish_reasons: list[str] = field(default_factory=list)
    # Counted with the target model's tokenizer when the endpoint offers one.
    token_count: int | None = None
    tokenizer: str = "estimate"
    duplicate_of: Match | None = None
    # The sample's constraint layers (complexify); those with a spec are checked here.
    layers: list[dict[str, Any]] = field(default_factory=list)

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.spec.get("params", {}))

    @property
    def dialogue(self) -> list[Part]:
        """The parts written by the model (a system message built from the scenario is not)."""
        return [p for p in self.parts if p.role != "system"]

    def units_of_part(self, dialogue_index: int) -> list[int]:
        unit = self.dialogue[dialogue_index].unit
        return [] if unit is None else [unit]


Check = Callable[[Draft], CheckResult]


@dataclass(frozen=True)
class RegisteredCheck:
    name: str
    paradigms: frozenset[str] | None  # None: every paradigm
    run: Check


CHECKS: Registry[RegisteredCheck] = Registry("check", "longweave.checks")


def register_check(name: str, paradigms: tuple[str, ...] | None = None
                   ) -> Callable[[Check], Check]:
    """Register a check for `paradigms` (None: for every paradigm)."""
    def add(fn: Check) -> Check:
        CHECKS.register(name, RegisteredCheck(
            name, None if paradigms is None else frozenset(paradigms), fn))
        return fn

    return add


def checks_for(paradigm: str) -> list[RegisteredCheck]:
    return [c for c in CHECKS.values() if c.paradigms is None or paradigm in c.paradigms]


def run_checks(paradigm: str, draft: Draft) -> list[CheckResult]:
    return [check.run(draft) for check in checks_for(paradigm)]


def _ok(name: str, **details: Any) -> CheckResult:
    return CheckResult(name=name, passed=True, details=details)


def _fail(name: str, reason: str, segments: list[int] | None = None, **details: Any
          ) -> CheckResult:
    return CheckResult(name=name, passed=False, reason=reason,
                       segment_indexes=sorted(set(segments or [])), details=details)


@register_check("turn_structure", paradigms=("conversation",))
def turn_structure(draft: Draft) -> CheckResult:
    name = "turn_structure"
    dialogue = draft.dialogue
    expected = 2 * draft.params["segments"] * draft.params["turns_per_segment"]
    for i, turn in enumerate(dialogue):
        want = "user" if i % 2 == 0 else "assistant"
        if turn.role != want:
            return _fail(name, f"turn {i + 1} is {turn.role}, expected {want}",
                         draft.units_of_part(i))
        if not turn.content.strip():
            return _fail(name, f"turn {i + 1} ({turn.role}) is empty",
                         draft.units_of_part(i))
    if len(dialogue) != expected:
        return _fail(name, f"{len(dialogue)} turns, expected {expected}")
    return _ok(name, turns=len(dialogue))


@register_check("token_window", paradigms=("conversation",))
def token_window(draft: Draft) -> CheckResult:
    name = "token_window"
    tokens = draft.token_count
    if tokens is None:
        tokens = sum(estimate_tokens(t.content) for t in draft.dialogue)
    target, tolerance = draft.params["target_tokens"], draft.params["length_tolerance"]
    low, high = int(target * max(0.0, 1 - tolerance)), int(target * (1 + tolerance))
    if tokens < low:
        return _fail(name, f"too short: ~{tokens} tokens, the target is {target} "
                     f"(accepted {low}-{high}); write longer, more detailed turns",
                     tokens=tokens, low=low, high=high, tokenizer=draft.tokenizer)
    if tokens > high:
        return _fail(name, f"too long: ~{tokens} tokens, the target is {target} "
                     f"(accepted {low}-{high}); write shorter turns",
                     tokens=tokens, low=low, high=high, tokenizer=draft.tokenizer)
    return _ok(name, tokens=tokens, low=low, high=high, tokenizer=draft.tokenizer)


@register_check("truncation")
def truncation(draft: Draft) -> CheckResult:
    cut = [i for i, reason in enumerate(draft.finish_reasons) if reason == "length"]
    if cut:
        return _fail("truncation", f"segments {cut} were cut off at max_tokens "
                     "(finish_reason=length)", cut)
    return _ok("truncation")


_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE = re.compile(r"[^.!?]+[.!?]?")
LOOP_NGRAM = 5
LOOP_MAX_NGRAM_REPEATS = 4
LOOP_MAX_SENTENCE_REPEATS = 3


def _normalise(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _loop_in(text: str) -> str | None:
    """Why `text` looks like a generation loop, or None."""
    sentences = Counter(s for s in (_normalise(x) for x in _SENTENCE.findall(text)) if
                        len(s.split()) >= 3)
    sentence, times = sentences.most_common(1)[0] if sentences else ("", 0)
    if times >= LOOP_MAX_SENTENCE_REPEATS:
        return f"the sentence {sentence[:60]!r} repeats {times} times"
    words = _WORD.findall(text.lower())
    grams = Counter(tuple(words[i : i + LOOP_NGRAM]) for i in range(len(words) - LOOP_NGRAM + 1))
    gram, times = grams.most_common(1)[0] if grams else ((), 0)
    if times >= LOOP_MAX_NGRAM_REPEATS:
        return f"the phrase {' '.join(gram)!r} repeats {times} times"
    return None


@register_check("loop_detection")
def loop_detection(draft: Draft) -> CheckResult:
    name = "loop_detection"
    seen: dict[str, int] = {}
    for i, turn in enumerate(draft.dialogue):
        looping = _loop_in(turn.content)
        if looping:
            return _fail(name, f"turn {i + 1} ({turn.role}) loops: {looping}",
                         draft.units_of_part(i))
        key = f"{turn.role}:{_normalise(turn.content)}"
        if key in seen and len(key.split()) > 3:
            return _fail(name, f"turn {i + 1} repeats turn {seen[key] + 1} verbatim",
                         draft.units_of_part(i))
        seen.setdefault(key, i)
    return _ok(name)


@register_check("near_duplicate")
def near_duplicate(draft: Draft) -> CheckResult:
    name = "near_duplicate"
    match = draft.duplicate_of
    if match is None:
        return _ok(name)
    return _fail(name, f"near-duplicate of {match.sample_id} (estimated Jaccard "
                 f"{match.similarity:.2f} ≥ {DUPLICATE_JACCARD}); write a different "
                 "record", duplicate_of=match.sample_id, similarity=match.similarity)


@register_check("pii_policy")
def pii_policy(draft: Draft) -> CheckResult:
    name = "pii_policy"
    if not draft.spec.get("forbid_pii"):
        return _ok(name, applied=False)
    for i, turn in enumerate(draft.dialogue):
        found = find_pii(turn.content)
        if found:
            kinds = sorted({kind for kind, _ in found})
            return _fail(name, f"turn {i + 1} contains personal data ({', '.join(kinds)}), "
                         "which the request forbids; use placeholders",
                         draft.units_of_part(i), kinds=kinds)
    return _ok(name, applied=True)


@register_check("language")
def language(draft: Draft) -> CheckResult:
    name = "language"
    expected = draft.spec.get("language")
    if not expected:
        return _ok(name, applied=False)
    detected = detect_language(" ".join(t.content for t in draft.dialogue))
    if detected != expected:
        return _fail(name, f"the record is not in the requested language {expected!r} "
                     f"(detected: {detected or 'unclear'})", detected=detected)
    return _ok(name, detected=detected)


def _assistant_json(draft: Draft) -> list[tuple[int, Any]] | CheckResult:
    """(dialogue index, parsed value) of every assistant turn, or the parse failure."""
    parsed = []
    for i, turn in enumerate(draft.dialogue):
        if turn.role != "assistant":
            continue
        try:
            parsed.append((i, extract_json(turn.content)))
        except ReplyParseError as exc:
            return _fail("json_parseable", f"assistant turn {i + 1}: {exc}",
                         draft.units_of_part(i))
    return parsed


@register_check("json_parseable", paradigms=("conversation",))
def json_parseable(draft: Draft) -> CheckResult:
    if draft.params.get("assistant_json_schema") is None:
        return _ok("json_parseable", applied=False)
    parsed = _assistant_json(draft)
    return parsed if isinstance(parsed, CheckResult) else _ok("json_parseable")


@register_check("json_schema", paradigms=("conversation",))
def json_schema(draft: Draft) -> CheckResult:
    name = "json_schema"
    schema = draft.params.get("assistant_json_schema")
    parsed = _assistant_json(draft) if schema is not None else []
    if isinstance(parsed, CheckResult):
        return _ok(name, applied=False)  # json_parseable reports it
    validator = jsonschema.Draft202012Validator(schema) if schema is not None else None
    for i, value in parsed:
        error = jsonschema.exceptions.best_match(validator.iter_errors(value))
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "<root>"
            return _fail(name, f"assistant turn {i + 1} does not match the schema at "
                         f"{where}: {error.message}", draft.units_of_part(i))
    return _ok(name, applied=schema is not None)


@register_check("required_fields", paradigms=("conversation",))
def required_fields(draft: Draft) -> CheckResult:
    name = "required_fields"
    fields = draft.params.get("required_fields") or []
    parsed = _assistant_json(draft) if fields else []
    if isinstance(parsed, CheckResult):
        return _ok(name, applied=False)
    for i, value in parsed:
        missing = [f for f in fields
                   if not isinstance(value, dict) or value.get(f) in (None, "", [], {})]
        if missing:
            return _fail(name, f"assistant turn {i + 1} lacks required fields {missing}",
                         draft.units_of_part(i), missing=missing)
    return _ok(name, applied=bool(fields))


@register_check("constraint_layers", paradigms=("conversation",))
def constraint_layers(draft: Draft) -> CheckResult:
    """The verifiable constraint layers the sample was given (word limits, formats, …)."""
    name = "constraint_layers"
    results = check_layers(draft.layers, draft.dialogue)
    failed = [r for r in results if not r.passed]
    if failed:
        return _fail(name, "; ".join(f"{r.check}: {r.reason}" for r in failed),
                     failed=[r.check for r in failed])
    return _ok(name, checked=[r.check for r in results])
