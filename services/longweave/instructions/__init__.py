"""Verifiable instructions: the registry of instruction types (see `base` for the contract),
drawing a prompt's instructions without conflicts, and checking a response against them.

Built in: IFEval's 25 types under their IFEval ids, and ``longweave:*`` types for long
contexts. Another package adds types through the ``longweave.instructions`` entry-point
group, naming an `InstructionType` instance."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from longweave.instructions.base import (
    DrawContext,
    Instruction,
    InstructionType,
    NoParams,
    Verdict,
    loose_variants,
)
from longweave.instructions.builtin import BUILTIN
from longweave.registry import Registry

INSTRUCTIONS: Registry[InstructionType[BaseModel]] = Registry("instruction",
                                                             "longweave.instructions")
for _builtin in BUILTIN:
    INSTRUCTIONS.register(_builtin.name, _builtin)


def conflict(a: str, b: str) -> bool:
    """Whether two types may not be asked for together (either one says so)."""
    return a == b or b in INSTRUCTIONS[a].conflicts or a in INSTRUCTIONS[b].conflicts


def draw_instructions(rng: random.Random, k: int, ctx: DrawContext,
                      names: Sequence[str] | None = None) -> list[Instruction]:
    """`k` instructions of types that apply to the prompt and do not conflict with each
    other, drawn from `names` (default: every registered type); fewer when `names` holds
    fewer compatible ones that apply (a ValueError when none applies)."""
    pool = sorted(names if names is not None else INSTRUCTIONS)
    pool = [n for n in pool if INSTRUCTIONS[n].applies(ctx)]
    if not pool:
        raise ValueError(f"none of the instruction types {', '.join(names or [])} applies "
                         "to this prompt")
    rng.shuffle(pool)
    chosen = next(found for size in range(k, 0, -1)
                  if (found := _compatible(pool, size, [])) is not None)
    return [Instruction(n, INSTRUCTIONS[n].draw(rng, ctx).model_dump(mode="json"))
            for n in chosen]


def _compatible(pool: list[str], k: int, chosen: list[str]) -> list[str] | None:
    """The first `k` mutually compatible types in `pool`'s order, backtracking past a
    type that leaves too few (one that conflicts with almost everything, drawn early)."""
    if len(chosen) == k:
        return chosen
    for i, name in enumerate(pool):
        if not any(conflict(name, c) for c in chosen):
            found = _compatible(pool[i + 1:], k, [*chosen, name])
            if found is not None:
                return found
    return None


def describe(instruction: Instruction) -> str:
    kind = INSTRUCTIONS[instruction.name]
    return kind.describe(kind.parse(instruction.params))


def verify(instruction: Instruction, response: str) -> Verdict:
    """The checker's verdict in IFEval's strict and loose modes."""
    kind = INSTRUCTIONS[instruction.name]
    params = kind.parse(instruction.params)
    reason = kind.check(response, params)
    loose = reason is None or any(
        variant.strip() and kind.check(variant, params) is None
        for variant in loose_variants(response)[1:])
    return Verdict(instruction.name, strict=reason is None, loose=loose, reason=reason)


def parse_instructions(raw: Sequence[dict[str, Any]]) -> list[Instruction]:
    """Instructions as stored ({name, params}); an unknown type or bad parameters raise
    ValueError naming them."""
    out = []
    for item in raw:
        name, params = item.get("name"), item.get("params") or {}
        if not isinstance(name, str):
            raise ValueError(f"an instruction needs a name, got {item!r}")
        kind = INSTRUCTIONS[name]
        try:
            kind.parse(params)
        except ValidationError as exc:
            raise ValueError(f"instruction {name}: {exc.errors()[0]['msg']}") from exc
        out.append(Instruction(name, dict(params)))
    return out


__all__ = ["INSTRUCTIONS", "DrawContext", "Instruction", "InstructionType", "NoParams",
           "Verdict", "conflict", "describe", "draw_instructions", "loose_variants",
           "parse_instructions", "verify"]
