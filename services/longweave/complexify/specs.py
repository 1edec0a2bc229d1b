"""Checks for the machine-checkable specs that verifiable constraint layers carry.

A spec is a small JSON object: ``{"check": NAME, "value": ..., "role": "assistant"|"user"|
"any"}``. `check_layer(spec, turns)` returns whether a conversation satisfies it and, if not,
a reason phrased as feedback for a regeneration. System turns are never checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from longweave.registry import Registry

TurnLike = Mapping[str, Any] | Any
SpecCheck = Callable[[list[str], dict[str, Any]], str | None]  # texts, spec → reason or None

SPEC_CHECKS: Registry[SpecCheck] = Registry("spec check", "longweave.spec_checks")

_WORD = re.compile(r"\b[\w'’-]+\b", re.UNICODE)
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,:/]\d+)*")
_BULLET = re.compile(r"^\s*[-*•]\s+\S", re.MULTILINE)
_NUMBERED = re.compile(r"^\s*\d{1,2}[.)]\s+\S", re.MULTILINE)
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$", re.MULTILINE)
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$", re.MULTILINE)
_STEP = re.compile(r"\bstep\s+(\d{1,2})\b", re.IGNORECASE)


@dataclass(frozen=True)
class LayerCheck:
    check: str
    passed: bool
    reason: str = ""


def register_spec_check(name: str) -> Callable[[SpecCheck], SpecCheck]:
    return SPEC_CHECKS.add(name)


def check_layer(spec: dict[str, Any], turns: Sequence[TurnLike]) -> LayerCheck:
    name = spec.get("check", "")
    if name not in SPEC_CHECKS:
        return LayerCheck(name, False, f"unknown spec check {name!r}")
    reason = SPEC_CHECKS[name](_texts(turns, spec.get("role", "any")), spec)
    return LayerCheck(name, reason is None, reason or "")


def check_layers(layers: Sequence[Mapping[str, Any]], turns: Sequence[TurnLike]
                 ) -> list[LayerCheck]:
    """Check every layer of a sample that carries a spec (layers as stored in a sample)."""
    return [check_layer(layer["spec"], turns) for layer in layers if layer.get("spec")]


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def _texts(turns: Sequence[TurnLike], role: str) -> list[str]:
    texts = []
    for turn in turns:
        turn_role = turn["role"] if isinstance(turn, Mapping) else turn.role
        content = turn["content"] if isinstance(turn, Mapping) else turn.content
        if turn_role != "system" and role in ("any", turn_role):
            texts.append(content)
    return texts


@register_spec_check("max_words_per_turn")
def _max_words_per_turn(texts: list[str], spec: dict[str, Any]) -> str | None:
    limit = int(spec["value"])
    over = [(i, n) for i, n in enumerate(word_count(t) for t in texts) if n > limit]
    if not over:
        return None
    worst = max(n for _, n in over)
    return (f"{len(over)} {spec.get('role', 'any')} turn(s) exceed {limit} words "
            f"(longest: {worst})")


@register_spec_check("format")
def _format(texts: list[str], spec: dict[str, Any]) -> str | None:
    fmt = spec["value"]
    wanted = int(spec.get("min_turns", 1))
    detectors = {
        "bulleted_list": lambda t: len(_BULLET.findall(t)) >= 2,
        "numbered_list": lambda t: len(_NUMBERED.findall(t)) >= 2,
        "markdown_table": lambda t: len(_TABLE_ROW.findall(t)) >= 2 and bool(_TABLE_RULE.search(t)),
    }
    if fmt not in detectors:
        return f"unknown format {fmt!r}"
    found = sum(1 for t in texts if detectors[fmt](t))
    if found >= wanted:
        return None
    return f"expected a {fmt.replace('_', ' ')} in at least {wanted} turn(s), found {found}"


@register_spec_check("labelled_steps")
def _labelled_steps(texts: list[str], spec: dict[str, Any]) -> str | None:
    wanted = int(spec["value"])
    for text in texts:
        numbers = {int(n) for n in _STEP.findall(text)}
        if all(k in numbers for k in range(1, wanted + 1)):
            return None
    return f"no turn reasons in labelled steps Step 1 to Step {wanted}"


@register_spec_check("min_numbers")
def _min_numbers(texts: list[str], spec: dict[str, Any]) -> str | None:
    wanted = int(spec["value"])
    found = {m.group(0) for t in texts for m in _NUMBER.finditer(t)}
    if len(found) >= wanted:
        return None
    return f"expected at least {wanted} distinct concrete figures, found {len(found)}"


@register_spec_check("includes_keywords")
def _includes_keywords(texts: list[str], spec: dict[str, Any]) -> str | None:
    joined = "\n".join(texts).casefold()
    missing = [k for k in spec["value"] if k.casefold() not in joined]
    return f"never mentions {', '.join(repr(k) for k in missing)}" if missing else None


@register_spec_check("forbidden_words")
def _forbidden_words(texts: list[str], spec: dict[str, Any]) -> str | None:
    used = sorted({w for w in spec["value"]
                   for t in texts if re.search(rf"\b{re.escape(w)}\b", t, re.IGNORECASE)})
    return f"uses forbidden word(s) {', '.join(repr(w) for w in used)}" if used else None


@register_spec_check("min_questions")
def _min_questions(texts: list[str], spec: dict[str, Any]) -> str | None:
    wanted = int(spec["value"])
    found = sum(t.count("?") for t in texts)
    if found >= wanted:
        return None
    return f"expected at least {wanted} questions, found {found}"
