"""The instruction paradigm's request parameters (``params`` of a request)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from longweave.corpus.selection import DocumentSelection
from longweave.instructions import INSTRUCTIONS, DrawContext
from longweave.registry import RegistryError

# A prompt with no document: what a scenario-grounded request offers the draw.
WITHOUT_DOCUMENT = DrawContext(prompt="A request.", topic_words=("request",))


class InstructionParams(DocumentSelection):
    model_config = ConfigDict(extra="forbid")
    min_instructions: int = Field(1, ge=1, le=4,
                                  description="verifiable instructions per prompt, at least")
    max_instructions: int = Field(3, ge=1, le=4, description="and at most")
    types: list[str] = Field(default_factory=list, max_length=100,
                             description="instruction types to draw from (empty: all of them)")
    mode: Literal["strict", "loose"] = Field(
        "strict", description="the checkers' mode a response must pass in (IFEval's)")
    turns: int = Field(1, ge=1, le=4, description=(
        "exchanges: the request and its response, then follow-up requests and responses; "
        "the instructions hold for every response"))
    grounding: Literal["scenario", "document"] = Field(
        "scenario", description="the request is about the sampled scenario, or about an "
                                "excerpt of a corpus document (given with the prompt)")
    excerpt_tokens: int = Field(1500, ge=200, le=16000,
                                description="document: the excerpt's length")

    @field_validator("types")
    @classmethod
    def _known_types(cls, types: list[str]) -> list[str]:
        for name in types:
            try:
                INSTRUCTIONS[name]
            except RegistryError as exc:
                raise ValueError(str(exc)) from None
        return list(dict.fromkeys(types))

    @model_validator(mode="after")
    def _range(self) -> InstructionParams:
        if self.min_instructions > self.max_instructions:
            raise ValueError("min_instructions is above max_instructions")
        if self.grounding == "scenario" and self.needs_document:
            raise ValueError(f"types: {', '.join(self.types)} apply only to a request about a "
                             "document (grounding: document)")
        return self

    @property
    def section_types(self) -> list[str]:
        """The types asked for by name that apply only to a document's sections."""
        return [t for t in self.types if not INSTRUCTIONS[t].applies(WITHOUT_DOCUMENT)]

    @property
    def needs_document(self) -> bool:
        """Whether no type asked for applies to a request without a document's sections."""
        return bool(self.types) and len(self.section_types) == len(self.types)
