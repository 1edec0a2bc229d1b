"""Complexification: constraint layers added to a sampled scenario (cf. Evol-Instruct's
operators). Each layer is an instruction for the generator; layers that code can verify
also carry a machine-checkable ``spec`` (see `longweave.complexify.specs`)."""

from longweave.complexify import operators as _operators  # noqa: F401 - registers them
from longweave.complexify.layers import (
    OPERATORS,
    ConstraintLayer,
    LayerContext,
    apply_operators,
    operator_names,
    register_operator,
)
from longweave.complexify.specs import SPEC_CHECKS, check_layer, check_layers

__all__ = [
    "OPERATORS",
    "SPEC_CHECKS",
    "ConstraintLayer",
    "LayerContext",
    "apply_operators",
    "check_layer",
    "check_layers",
    "operator_names",
    "register_operator",
]
