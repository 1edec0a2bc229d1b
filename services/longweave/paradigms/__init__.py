"""The registry of paradigms (see `longweave.paradigms.base` for the contract).

Built in: ``conversation``. Another package adds one through the ``longweave.paradigms``
entry-point group, naming a `Paradigm` instance::

    [project.entry-points."longweave.paradigms"]
    my_paradigm = "my_package.paradigm:paradigm"
"""

from __future__ import annotations

from typing import Any

from longweave.paradigms.base import Paradigm, Part, Plan, UnitCall, UnitInput
from longweave.paradigms.conversation import conversation
from longweave.registry import Registry

PARADIGMS: Registry[Paradigm] = Registry("paradigm", "longweave.paradigms")
PARADIGMS.register(conversation.name, conversation)


def paradigm_of(sample: dict[str, Any]) -> Paradigm:
    """The paradigm a sample (or a draft's sample) belongs to."""
    return PARADIGMS[sample["spec"]["paradigm"]]


__all__ = ["PARADIGMS", "Paradigm", "Part", "Plan", "UnitCall", "UnitInput", "paradigm_of"]
