"""The instruction paradigm's request parameters (``params`` of a request)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from longweave.instructions import INSTRUCTIONS
from longweave.registry import RegistryError


class InstructionParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_instructions: int = Field(1, ge=1, le=4,
                                  description="verifiable instructions per prompt, at least")
    max_instructions: int = Field(3, ge=1, le=4, description="and at most")
    types: list[str] = Field(default_factory=list, max_length=100,
                             description="instruction types to draw from (empty: all of them)")
    mode: Literal["strict", "loose"] = Field(
        "strict", description="the checkers' mode a response must pass in (IFEval's)")

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
        return self
