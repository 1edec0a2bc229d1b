"""The rule-check registry and what a check reads.

A check is a function of a `CheckInput` (a draft as its paradigm's `Part`s, with what the
validator measured beforehand) to a machine-readable `CheckResult`: name, passed, reason,
the units at fault. It is registered for the paradigms it applies to, or for all of them:
checks every paradigm shares live in ``validator/checks.py``, a paradigm's own beside it
(``paradigms/<name>/checks.py``), and another package's come through the
``longweave.checks`` entry-point group (a `RegisteredCheck`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel

from longweave.contracts import CheckResult, SampleSpec
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

    @property
    def dialogue(self) -> list[Part]:
        """The parts written by the model (a system message built from the scenario is not)."""
        return [p for p in self.parts if p.role != "system"]

    def units_of_part(self, dialogue_index: int) -> list[int]:
        unit = self.dialogue[dialogue_index].unit
        return [] if unit is None else [unit]


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


