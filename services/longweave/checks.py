"""The rule-check registry and what a check reads.

A check is a function of a `CheckInput` (a draft as its paradigm's `Part`s, with what the
validator measured beforehand) to a machine-readable `CheckResult`: name, passed, reason,
the units at fault. It is registered for the paradigms it applies to, or for all of them:
checks every paradigm shares live in ``validator/checks.py``, a paradigm's own beside it
(``paradigms/<name>/checks.py``), and another package's come through the
``longweave.checks`` entry-point group (a `RegisteredCheck`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel

from longweave.contracts import CheckResult, SampleSpec
from longweave.contracts.messages import QualityThresholds
from longweave.registry import Registry

P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True)
class Part:
    """A piece of a record's text as the rule checks read it: who speaks (a conversation
    role, or a label such as "question"), what, and which unit wrote it (None: no unit, e.g.
    a system message built from the scenario)."""

    role: str
    content: str
    unit: int | None = None


class Duplicate(Protocol):
    """The closest earlier record of the run, when it is too close."""

    sample_id: str
    similarity: float


@dataclass(frozen=True)
class CheckInput(Generic[P]):
    """What the checks look at: a draft's parts, the sample's spec (the request's common
    fields) and its paradigm's params (typed: the paradigm's ``params_model``), how the
    units were produced, and what the validator measured beforehand (token count, the
    closest earlier record of the run)."""

    parts: list[Part]
    spec: SampleSpec
    params: P
    finish_reasons: list[str] = field(default_factory=list)
    # Counted with the target model's tokenizer when the endpoint offers one.
    token_count: int | None = None
    tokenizer: str = "estimate"
    duplicate_of: Duplicate | None = None
    # The sample's constraint layers (complexify); those with a spec are checked here.
    layers: list[dict[str, Any]] = field(default_factory=list)
    # The record's content as its paradigm assembled it (`Paradigm.content_keys`).
    content: dict[str, Any] = field(default_factory=dict)
    # The sample's scenario (`Sample.scenario`: domain, document_type, ...).
    scenario: dict[str, Any] = field(default_factory=dict)
    # The text-quality thresholds of the settings; the request's override them (`quality`).
    quality_settings: QualityThresholds = field(default_factory=QualityThresholds)

    @property
    def dialogue(self) -> list[Part]:
        """The parts written by the model (a system message built from the scenario is not)."""
        return [p for p in self.parts if p.role != "system"]

    def units_of_part(self, dialogue_index: int) -> list[int]:
        unit = self.dialogue[dialogue_index].unit
        return [] if unit is None else [unit]

    @property
    def source_text(self) -> str:
        """What the record draws on rather than writes: its system parts (a reasoning item's
        facts) and the document it is grounded in (its content's `SOURCE_KEYS`)."""
        sources = [p.content for p in self.parts if p.role == "system"]
        sources += [v for k in SOURCE_KEYS if isinstance(v := self.content.get(k), str)]
        return "\n".join(dict.fromkeys(sources))  # reasoning's context is both

    @property
    def quality(self) -> QualityThresholds:
        """The text-quality thresholds in force: the request's where it gave them, else the
        settings' (themselves the defaults where not set)."""
        requested = self.spec.quality
        return self.quality_settings if requested is None else requested.over(
            self.quality_settings)

    @property
    def code_roles(self) -> frozenset[str]:
        """The roles whose turns the request asks to hold code or JSON (so they are not
        prose there): the assistant's when its replies must follow a JSON Schema
        (``assistant_json_schema``), an instruction or a constraint layer asks for a JSON
        or code format; every role's when the scenario is about code (its domain or
        document type, `CODE_TOPICS`)."""
        roles: set[str] = set()
        if getattr(self.params, "assistant_json_schema", None) is not None:
            roles.add("assistant")
        instructions = self.content.get("instructions") or []
        if any(isinstance(i, dict) and i.get("name") in CODE_INSTRUCTIONS
               for i in instructions):
            roles.add("assistant")
        for layer in self.layers:
            spec = layer.get("spec") or {}
            asks = (spec.get("check") == "format" and spec.get("value") in CODE_FORMATS) or \
                bool(_ASKS_FOR_CODE.search(str(layer.get("instruction", ""))))
            if asks:
                role = spec.get("role", "assistant")
                roles |= {"user", "assistant"} if role == "any" else {role}
        topic = " ".join(str(self.scenario.get(k) or "") for k in ("domain", "document_type"))
        if set(re.findall(r"[a-z]+", topic.lower())) & CODE_TOPICS:
            roles |= {"user", "assistant"}
        return frozenset(roles)


# The content keys paradigms keep a record's source document under (document_qa's and
# reasoning's window, instruction's grounding document).
SOURCE_KEYS = ("context", "document")
# What makes a request ask for code or JSON (`CheckInput.code_roles`).
CODE_INSTRUCTIONS = frozenset({"detectable_format:json_format"})
CODE_FORMATS = frozenset({"json", "yaml", "xml", "csv", "code", "code_block"})
CODE_TOPICS = frozenset({"software", "coding", "programming", "developer", "developers",
                         "devops", "api", "scripting"})
_ASKS_FOR_CODE = re.compile(r"\b(?:JSON|YAML|XML|code (?:block|snippet|sample|example)s?|"
                            r"source code)\b", re.IGNORECASE)

Check = Callable[[CheckInput[Any]], CheckResult]


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


def run_checks(paradigm: str, draft: CheckInput[Any]) -> list[CheckResult]:
    return [check.run(draft) for check in checks_for(paradigm)]


def passed(name: str, **details: Any) -> CheckResult:
    return CheckResult(name=name, passed=True, details=details)


def failed(name: str, reason: str, segments: list[int] | None = None, **details: Any
          ) -> CheckResult:
    return CheckResult(name=name, passed=False, reason=reason,
                       segment_indexes=sorted(set(segments or [])), details=details)


