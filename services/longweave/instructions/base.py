"""The verifiable-instruction contract: a type of instruction a response can be checked
against by code (IFEval's kind: "answer in fewer than 120 words", "end with this phrase").

An `InstructionType` declares, in one place:

- its name (``<family>:<type>``; IFEval's id where IFEval has the same instruction, so a
  record's verification can be re-run with IFEval's own checkers) and its typed parameters
  (`params_model`, with IFEval's parameter names);
- the text that asks for it (`describe`);
- a deterministic checker (`check`: None when the response follows it, else why not);
- how to draw its parameters for a prompt (`draw`), and the types it must never be drawn
  with (`conflicts`).

`verify` runs a checker in IFEval's two modes: strict (the response as it is) and loose
(it passes when the response does with its first line, its last line, both, or its
asterisks removed)."""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

P = TypeVar("P", bound=BaseModel)


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class DrawContext:
    """What a prompt offers to draw parameters from: its text, words of its topic, the
    sections of its document (when it has one) and the language it is written in."""

    prompt: str = ""
    topic_words: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    language: str = "en"


class InstructionType(ABC, Generic[P]):
    name: ClassVar[str]
    ifeval_id: ClassVar[str | None] = None  # the same instruction in IFEval, if any
    params_model: type[P]
    conflicts: ClassVar[frozenset[str]] = frozenset()

    def parse(self, raw: dict[str, Any]) -> P:
        return self.params_model.model_validate(raw)

    def applies(self, ctx: DrawContext) -> bool:
        """Whether the type can be drawn for this prompt (e.g. sections need a document)."""
        return True

    def draw(self, rng: random.Random, ctx: DrawContext) -> P:
        """Parameters for this prompt; a type without parameters need not say."""
        return self.params_model()

    @abstractmethod
    def describe(self, params: P) -> str:
        """The instruction as the prompt states it."""

    @abstractmethod
    def check(self, response: str, params: P) -> str | None:
        """None when `response` follows the instruction, else why it does not."""

    def __repr__(self) -> str:
        return f"<instruction {self.name}>"


@dataclass(frozen=True)
class Verdict:
    name: str
    strict: bool
    loose: bool
    reason: str | None = None  # the strict checker's, when it fails

    def passed(self, mode: str = "strict") -> bool:
        return self.strict if mode == "strict" else self.loose


def loose_variants(response: str) -> list[str]:
    """IFEval's loose reading of a response: itself, without its first line, its last
    line or both, each also with every asterisk removed."""
    lines = response.split("\n")
    cut = ["\n".join(lines[1:]).strip(), "\n".join(lines[:-1]).strip(),
           "\n".join(lines[1:-1]).strip()]
    return [response, response.replace("*", ""), *cut, *(c.replace("*", "") for c in cut)]


@dataclass(frozen=True)
class Instruction:
    """One drawn instruction: its type's name and parameters (JSON-safe, IFEval's names)."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
