"""The registry of paradigms (see `longweave.paradigms.base` for the contract).

Built in: ``conversation``, ``document_qa``, ``instruction``, ``reasoning``, ``claims``. Another package adds one through the
``longweave.paradigms`` entry-point group, naming a `Paradigm` instance::

    [project.entry-points."longweave.paradigms"]
    my_paradigm = "my_package.paradigm:paradigm"
"""

from __future__ import annotations

from typing import Any

from longweave.contracts.records import Sample
from longweave.paradigms.base import ExportOptions, Paradigm, Part, Plan, UnitCall, UnitInput
from longweave.paradigms.claims import claims
from longweave.paradigms.conversation import conversation
from longweave.paradigms.document_qa import document_qa
from longweave.paradigms.instruction import instruction
from longweave.paradigms.reasoning import reasoning
from longweave.registry import Registry

PARADIGMS: Registry[Paradigm[Any]] = Registry("paradigm", "longweave.paradigms")
for _builtin in (conversation, document_qa, instruction, reasoning, claims):
    PARADIGMS.register(_builtin.name, _builtin)


def paradigm_of(sample: Sample) -> Paradigm[Any]:
    """The paradigm a sample belongs to."""
    return PARADIGMS[sample.spec.paradigm]


__all__ = ["PARADIGMS", "ExportOptions", "Paradigm", "Part", "Plan", "UnitCall", "UnitInput", "paradigm_of"]
