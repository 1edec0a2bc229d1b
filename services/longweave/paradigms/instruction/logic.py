"""Pure logic of the instruction paradigm: the instructions a sample's responses are
written under (drawn from its first request, seeded by the sample), the conversation so
far that each unit continues (carried as JSON between units), the prompt a trainer sees,
and the excerpt of a corpus document a grounded request is about."""

from __future__ import annotations

import json
import random
import re
from typing import Any

from longweave.contracts.records import Sample
from longweave.corpus.passages import cut, provenance, window
from longweave.instructions import DrawContext, Instruction, describe, draw_instructions
from longweave.llm.tokens import CHARS_PER_TOKEN
from longweave.paradigms.instruction.params import InstructionParams

_WORD = re.compile(r"[A-Za-z]{4,}")
EVERY_REPLY = "These instructions hold for every reply in this conversation."
WINDOW_TRIES = 20  # windows tried for one with a section heading, when one is needed
EXCERPT_FLOOR = 0.8  # an excerpt is cut at a paragraph or sentence end past this share


def draw_context(sample: Sample, request: str) -> DrawContext:
    """What the instructions are drawn from: the request (repeat_prompt repeats it), words
    of the request and the scenario (keywords to include, avoid or count), and the
    sections of a grounded request's excerpt (cite_section cites one)."""
    scenario = sample.scenario
    text = " ".join([request, str(scenario.get("business_scenario", "")),
                     str(scenario.get("domain", ""))])
    words = tuple(dict.fromkeys(w.lower() for w in _WORD.findall(text)))
    sections = tuple((sample.material or {}).get("sections", ()))
    return DrawContext(prompt=request, topic_words=words, sections=sections,
                       language="en")  # prompts: English


def instructions_for(sample: Sample, request: str, params: InstructionParams
                     ) -> list[Instruction]:
    """The sample's instructions: the same for every attempt that answers this request."""
    rng = random.Random(f"{sample.id}:instructions")
    k = rng.randint(params.min_instructions, params.max_instructions)
    return draw_instructions(rng, k, draw_context(sample, request), params.types or None)


def prompt_text(request: str, instructions: list[dict[str, Any]], excerpt: str | None = None,
                turns: int = 1) -> str:
    """The first user turn a trainer sees: the document excerpt (if grounded), the request,
    then its instructions, one per line."""
    lines = [describe(Instruction(i["name"], i["params"])) for i in instructions]
    if turns > 1:
        lines.append(EVERY_REPLY)
    head = f"{excerpt.strip()}\n\n" if excerpt else ""
    return head + request.strip() + "\n\n" + "\n".join(lines)


def history_of(context: str) -> list[dict[str, str]]:
    """The conversation so far, as the unit before carried it (raw requests, no prompt)."""
    return list(json.loads(context)) if context else []


def carried(context: str, role: str, text: str) -> str:
    return json.dumps([*history_of(context), {"role": role, "content": text}],
                      ensure_ascii=False)


def plan_excerpt(params: InstructionParams, documents: list[dict[str, Any]], index: int,
                 seed: int) -> dict[str, Any]:
    """Document grounding: which window of which document sample `index` is about, and the
    sections whose heading it holds."""
    rng = random.Random(f"{seed}:instruction:{index}")
    if params.section_types:  # documents with sections, if any
        documents = [d for d in documents if d.get("sections")] or documents
    doc = documents[index % len(documents)]
    target_chars = int(params.excerpt_tokens * CHARS_PER_TOKEN)
    kept = int(target_chars * EXCERPT_FLOOR)  # what any cut of the window keeps

    def headings(start: int) -> list[dict[str, Any]]:
        return [{"title": s["title"], "start": s["start"]} for s in doc.get("sections", [])
                if start <= s["start"] < start + kept]

    start, end, _ = window(doc, params.excerpt_tokens, rng)
    # Types asked for by name that cite a section: an excerpt with a heading, if one is found.
    for _ in range(WINDOW_TRIES if params.section_types else 0):
        if headings(start):
            break
        start, end, _ = window(doc, params.excerpt_tokens, rng)
    return {"main": doc["_id"],
            "documents": [{**provenance(doc), "start": start, "end": end,
                           "target_chars": target_chars, "floor": EXCERPT_FLOOR}],
            "sections": headings(start)}


def build_excerpt(material: dict[str, Any], texts: dict[str, str]
                  ) -> tuple[str, dict[str, Any]]:
    """The excerpt (under its document's title), which the prompts show; the sections are
    those whose heading the cut kept."""
    [part] = material["documents"]
    body = cut(texts[part["id"]][part["start"]:part["end"]], part["target_chars"],
               part["floor"])
    excerpt = f"## {part['title']}\n\n{body}"
    sections = [s["title"] for s in material["sections"]
                if s["start"] < part["start"] + len(body)]
    return excerpt, {**material, "excerpt": excerpt, "sections": sections}
