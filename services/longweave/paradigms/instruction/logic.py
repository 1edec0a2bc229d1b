"""Pure logic of the instruction paradigm: the instructions a sample's response is written
under (drawn from its request text, seeded by the sample) and the prompt a trainer sees."""

from __future__ import annotations

import random
import re
from typing import Any

from longweave.contracts.records import Sample
from longweave.instructions import DrawContext, Instruction, describe, draw_instructions
from longweave.paradigms.instruction.params import InstructionParams

_WORD = re.compile(r"[A-Za-z]{4,}")


def draw_context(sample: Sample, request: str) -> DrawContext:
    """What the instructions are drawn from: the request (repeat_prompt repeats it) and
    words of the request and the scenario (keywords to include, avoid or count)."""
    scenario = sample.scenario
    text = " ".join([request, str(scenario.get("business_scenario", "")),
                     str(scenario.get("domain", ""))])
    words = tuple(dict.fromkeys(w.lower() for w in _WORD.findall(text)))
    return DrawContext(prompt=request, topic_words=words, language="en")  # prompts: English


def instructions_for(sample: Sample, request: str, params: InstructionParams
                     ) -> list[Instruction]:
    """The sample's instructions: the same for every attempt that answers this request."""
    rng = random.Random(f"{sample.id}:instructions")
    k = rng.randint(params.min_instructions, params.max_instructions)
    return draw_instructions(rng, k, draw_context(sample, request), params.types or None)


def prompt_text(request: str, instructions: list[dict[str, Any]]) -> str:
    """The user turn a trainer sees: the request, then its instructions, one per line."""
    lines = [describe(Instruction(i["name"], i["params"])) for i in instructions]
    return request.strip() + "\n\n" + "\n".join(lines)
