"""The reasoning paradigm's request parameters (``params`` of a request)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from longweave.corpus.selection import DocumentSelection
from longweave.reasoning import KINDS, STATIONS, Kind

Mode = Literal["programmatic", "free_form"]


class ReasoningParams(DocumentSelection):
    model_config = ConfigDict(extra="forbid")
    mode: Mode = Field("programmatic", description=(
        "programmatic: facts planted in the context, a question combining them, an answer "
        "key computed by code; free_form: a question the model asks across passages of "
        "the document"))
    context_tokens: int = Field(8000, ge=500, le=1_000_000,
                                description="the context's length (4k-128k for real models)")
    context_tolerance: float = Field(0.2, gt=0, le=1,
                                     description="accepted: context_tokens × (1 ± tolerance)")
    kinds: list[Kind] = Field(default_factory=lambda: list(KINDS), min_length=1,
                              description="programmatic: the questions' kinds, in turn")
    facts: int = Field(3, ge=2, le=len(STATIONS),
                       description="programmatic: facts a question combines")
    depths: list[float] = Field(default_factory=list, description=(
        "programmatic: each fact's relative depth in the context (0-1), one per fact (a "
        "chain's final fact included); empty: drawn uniformly per sample"))
    passages: int = Field(2, ge=2, le=4,
                          description="free_form: passages a question needs facts from")
    min_hop_tokens: int = Field(500, ge=0,
                                description="free_form: the passages at least this far apart")

    @model_validator(mode="after")
    def _consistent(self) -> ReasoningParams:
        self.kinds = list(dict.fromkeys(self.kinds))
        if self.mode == "programmatic" and "odd_one_out" in self.kinds and self.facts < 3:
            raise ValueError("odd_one_out needs facts ≥ 3 (of two, either is the odd one)")
        if self.depths:
            if any(not 0 <= d <= 1 for d in self.depths):
                raise ValueError("depths are relative positions, 0-1")
            wanted = {self.facts + 1 if kind == "chain" else self.facts for kind in self.kinds}
            if wanted != {len(self.depths)}:
                raise ValueError(f"depths: {len(self.depths)} given, but the kinds asked for "
                                 f"plant {' or '.join(map(str, sorted(wanted)))} facts")
        return self
