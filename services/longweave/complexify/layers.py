"""The registry of complexification operators and the layers they produce."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from longweave.registry import Registry


class ConstraintLayer(BaseModel):
    """One applied layer: what the generator is told, and (when code can verify it) how."""

    model_config = ConfigDict(extra="forbid")
    operator: str
    instruction: str = Field(min_length=1)
    spec: dict[str, Any] | None = Field(
        None, description='machine-checkable form, e.g. {"check": "max_words_per_turn", '
                          '"role": "assistant", "value": 120}; None when only a judge can tell',
    )


@dataclass(frozen=True)
class LayerContext:
    """What an operator may look at: the scenario as sampled, the paradigm's params of the
    request (its ``params_model``, typed), and a random source seeded for this sample and
    operator (so layers are reproducible)."""

    scenario: dict[str, Any]
    params: Any
    rng: random.Random


Operator = Callable[[LayerContext], ConstraintLayer]


@dataclass(frozen=True)
class RegisteredOperator:
    name: str
    description: str
    verifiable: bool
    build: Operator
    paradigms: frozenset[str] | None = None  # None: every paradigm


OPERATORS: Registry[RegisteredOperator] = Registry("complexify operator",
                                                  "longweave.complexify_operators")


def register_operator(name: str, description: str, verifiable: bool,
                      paradigms: tuple[str, ...] | None = None
                      ) -> Callable[[Operator], Operator]:
    """Register an operator for `paradigms` (None: for every paradigm)."""
    def add(fn: Operator) -> Operator:
        OPERATORS.register(name, RegisteredOperator(
            name, description, verifiable, fn,
            None if paradigms is None else frozenset(paradigms)))
        return fn

    return add


def operator_names(paradigm: str | None = None) -> list[str]:
    """The operators registered for `paradigm` (None: all of them)."""
    return sorted(name for name, op in OPERATORS.items()
                  if paradigm is None or op.paradigms is None or paradigm in op.paradigms)


def apply_operators(names: list[str], scenario: dict[str, Any], params: Any,
                    seed: str) -> list[ConstraintLayer]:
    """The layers of `names`, in order; each operator draws from its own seeded stream."""
    layers = []
    for name in names:
        rng = random.Random(f"{seed}:{name}")
        layer = OPERATORS[name].build(LayerContext(scenario, params, rng))
        layers.append(layer)
    return layers
