"""Pure logic of the document-grounded paradigm: which part of which documents a record's
context is, which passages each question is written from (spread over the beginning,
middle and end of the context), where a quoted piece of evidence sits in the context, and
the export rows."""

from __future__ import annotations

import random
from typing import Any

from longweave.corpus.passages import (
    POSITIONS,
    cut,
    position_of,
    provenance,
    window,
)
from longweave.llm.tokens import CHARS_PER_TOKEN, estimate_tokens
from longweave.paradigms.document_qa.params import DocumentQAParams

TWO_PASSAGE_TASKS = {"multi_hop", "comparison", "timeline"}
MIN_PASSAGE_TOKENS = 60


def plan_sample(params: DocumentQAParams, documents: list[dict[str, Any]], index: int,
                seed: int) -> dict[str, Any]:
    """Where sample `index`'s context comes from, and each question's task type, position
    and passages (offsets into the documents; `build_context` turns them into context
    offsets). `documents` are corpus entries with their chunk maps, sorted by id."""
    rng = random.Random(f"{seed}:document_qa:{index}")
    main = documents[index % len(documents)]
    others = [d for d in documents if d["_id"] != main["_id"]]
    distractors = rng.sample(others, min(params.distractors, len(others)))
    share = params.context_tokens // (len(distractors) + 2) if distractors else 0
    main_tokens = params.context_tokens - share * len(distractors)
    start, end, main_chunks = window(main, main_tokens, rng)
    # `build_context` cuts each window at a paragraph or sentence end between `floor` and
    # the target, so the context's length stays inside the tolerance.
    floor = 1 - params.context_tolerance / 2
    target_chars = int(main_tokens * CHARS_PER_TOKEN)
    parts = [{**provenance(main), "role": "main", "start": start, "end": end,
              "target_chars": target_chars, "floor": floor}]
    for doc in distractors:
        d_start, d_end, _ = window(doc, share, rng)
        parts.append({**provenance(doc), "role": "distractor", "start": d_start, "end": d_end,
                      "target_chars": int(share * CHARS_PER_TOKEN), "floor": floor})
    # Passages come from the chunks any cut keeps whole, and say something (a chunk can be
    # a lone heading or a line of verse).
    kept = [c for c in main_chunks if c["end"] <= start + int(target_chars * floor)] or main_chunks[:1]
    chunks = [c for c in kept if c["tokens"] >= MIN_PASSAGE_TOKENS] or kept
    rng.shuffle(parts)
    sections = {i: s for i, s in enumerate(main.get("sections", []))}
    task_types = list(params.task_types)
    rng.shuffle(task_types)
    units = []
    for n in range(params.pairs):
        task = task_types[n % len(task_types)]
        wanted = POSITIONS[n % 3]
        third = [c for c in chunks
                 if position_of(c["start"] - start, target_chars) == wanted]
        first_chunk = rng.choice(third or chunks)
        passages = [first_chunk]
        if task in TWO_PASSAGE_TASKS:
            # Far enough that any quote of one passage is `gap` from any quote of the other.
            gap = params.min_hop_tokens * CHARS_PER_TOKEN
            far = [c for c in chunks if c["start"] >= first_chunk["end"] + gap
                   or c["end"] + gap <= first_chunk["start"]]
            passages.append(rng.choice(far) if far else max(
                chunks, key=lambda c: abs(c["start"] - first_chunk["start"])))
            passages.sort(key=lambda c: c["start"])  # P1 comes first in the document
        section = sections.get(first_chunk["section"]) if first_chunk.get("section") \
            is not None else None
        units.append({"task_type": task, "position": wanted,
                      "section": section["title"] if section else None,
                      "primary": passages.index(first_chunk),
                      "passages": [{"start": c["start"], "end": c["end"]} for c in passages]})
    doc_map = [entry for entry in main.get("map", []) if start <= entry["start"] < end]
    return {"documents": parts, "main": main["_id"], "map": doc_map, "units": units}


def build_context(material: dict[str, Any], texts: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """The record's context (each document's window under its title) and the material with
    passages in context offsets and their text."""
    pieces, offsets = [], {}
    cursor = 0
    for part in material["documents"]:
        header = f"## {part['title']}\n\n"
        body = cut(texts[part["id"]][part["start"]:part["end"]], part["target_chars"],
                    part["floor"])
        offsets[part["id"]] = cursor + len(header) - part["start"]
        pieces.append(header + body)
        cursor += len(header) + len(body) + 2
        if part["id"] == material["main"]:
            main_end = part["start"] + len(body)
    context = "\n\n".join(pieces)
    shift = offsets[material["main"]]
    units = []
    for unit in material["units"]:
        passages = []
        for p in unit["passages"]:
            s, e = p["start"] + shift, p["end"] + shift
            passages.append({"start": s, "end": e, "text": context[s:e]})
        # Where the passage chosen for a third really fell, distractors included.
        primary = passages[unit.get("primary", 0)]
        units.append({**unit, "passages": passages,
                      "position": position_of(primary["start"], len(context))})
    doc_map = [entry for entry in material["map"] if entry["start"] < main_end]
    return context, {**material, "units": units, "map": doc_map,
                     "context_chars": len(context), "context_tokens": estimate_tokens(context)}


def longest_copied_run(answer: str, source: str) -> int:
    """Characters of the longest stretch of `answer` copied verbatim from `source`."""
    from difflib import SequenceMatcher

    match = SequenceMatcher(None, answer, source, autojunk=False).find_longest_match(
        0, len(answer), 0, len(source))
    return int(match.size)


def conversation_rows(record: dict[str, Any], context_in_system: bool) -> list[dict[str, str]]:
    """The record as a chat: the context (in the system message, or before the first
    question), then each question and its answer."""
    messages = []
    pairs = record["pairs"]
    if context_in_system:
        messages.append({"role": "system", "content": "Answer from this document only.\n\n"
                                                       + record["context"]})
    for n, pair in enumerate(pairs):
        question = pair["question"]
        if n == 0 and not context_in_system:
            question = f"{record['context']}\n\n{question}"
        messages += [{"role": "user", "content": question},
                     {"role": "assistant", "content": pair["answer"]}]
    return messages
