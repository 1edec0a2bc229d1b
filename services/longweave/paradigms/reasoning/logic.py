"""Pure logic of the reasoning paradigm: which window of which document a record's context
is; for programmatic records the facts planted in it (`longweave.reasoning`) and the
passages around them, for free-form ones the passages a question must combine; whether a
trace concludes in its answer; and the trace in the layouts trainers read."""

from __future__ import annotations

import random
import re
from typing import Any

from longweave.corpus.passages import cut, position_of, provenance, window
from longweave.llm.tokens import CHARS_PER_TOKEN, estimate_tokens
from longweave.paradigms.reasoning.params import ReasoningParams
from longweave.reasoning import SENTENCE_END, bucket_of, make_item
from longweave.rewards import normalise_answer

PASSAGE_PAD_CHARS = 300  # the text shown around a planted fact, on each side
MIN_PASSAGE_TOKENS = 60
TRACE_LAYOUTS = ("think", "reasoning_content")


def plan_sample(params: ReasoningParams, documents: list[dict[str, Any]], index: int,
                seed: int) -> dict[str, Any]:
    """Sample `index`'s material: a window of one document of about `context_tokens`, and
    what is planted in it (programmatic) or which of its passages a question combines
    (free-form). A programmatic context longer than any one document runs on into windows
    of the next ones. Offsets are the documents'; `build_context` turns them into the
    context's."""
    rng = random.Random(f"{seed}:reasoning:{index}")
    low = params.context_tokens * (1 - params.context_tolerance)
    long_enough = [d for d in documents if d["tokens"] >= low] or documents
    doc = long_enough[index % len(long_enough)]
    floor = 1 - params.context_tolerance / 2
    if params.mode == "programmatic":
        at = documents.index(doc)
        parts: list[dict[str, Any]] = []
        remaining = params.context_tokens
        for other in documents[at:] + documents[:at]:  # the rest, when one is too short
            tokens = min(remaining, other["tokens"])
            start, end, _ = window(other, tokens, rng)
            parts.append({**provenance(other), "role": "main" if not parts else "filler",
                          "start": start, "end": end,
                          "target_chars": int(tokens * CHARS_PER_TOKEN), "floor": floor})
            remaining -= tokens
            if remaining < params.context_tokens * params.context_tolerance / 2:
                break
        return {"mode": params.mode, "main": doc["_id"], "documents": parts,
                "item": {"kind": params.kinds[index % len(params.kinds)],
                         "seed": f"{seed}:{index}", "facts": params.facts,
                         "depths": list(params.depths) or None}}
    start, end, chunks = window(doc, params.context_tokens, rng)
    target_chars = int(params.context_tokens * CHARS_PER_TOKEN)
    kept = [c for c in chunks if c["end"] <= start + int(target_chars * floor)] or chunks[:1]
    usable = [c for c in kept if c["tokens"] >= MIN_PASSAGE_TOKENS] or kept
    passages = spread_passages(usable, params.passages,
                               params.min_hop_tokens * CHARS_PER_TOKEN, rng)
    return {"mode": params.mode, "main": doc["_id"],
            "documents": [{**provenance(doc), "role": "main", "start": start, "end": end,
                           "target_chars": target_chars, "floor": floor}],
            "passages": [{"start": c["start"], "end": c["end"]} for c in passages]}


def spread_passages(chunks: list[dict[str, Any]], n: int, gap_chars: float,
                    rng: random.Random) -> list[dict[str, Any]]:
    """`n` chunks in document order, each at least `gap_chars` after the one before when
    the window allows it (else as far apart as it does)."""
    chosen: list[dict[str, Any]] = []
    for k in range(n):
        # Leave room for the passages still to come after this one.
        later = (n - k - 1) * gap_chars
        room = [c for c in chunks
                if (not chosen or c["start"] >= chosen[-1]["end"] + gap_chars)
                and c["end"] + later <= chunks[-1]["end"]]
        if not room:
            room = [c for c in chunks if not chosen or c["start"] > chosen[-1]["end"]]
        if not room:
            break
        # Early in the window for the first, so the rest fit after it.
        pick = room[rng.randrange(max(1, len(room) // (n - k)))]
        chosen.append(pick)
    return chosen


def build_context(material: dict[str, Any], texts: dict[str, str]
                  ) -> tuple[str, dict[str, Any]]:
    """The context (the window under its title, and any windows it runs on into under
    theirs, with the facts planted in it for a programmatic record) and the material completed: the passages a trace is written from
    (with their text and context offsets), and for programmatic records the question, its
    answer key and where each fact fell."""
    part = material["documents"][0]
    header = f"## {part['title']}\n\n"
    body = cut(texts[part["id"]][part["start"]:part["end"]], part["target_chars"],
               part["floor"])
    if material["mode"] == "free_form":
        context = header + body
        shift = len(header) - part["start"]
        passages = []
        for p in material["passages"]:
            s, e = p["start"] + shift, min(p["end"] + shift, len(context))
            if s < len(context):  # a passage past the cut is dropped
                passages.append({"start": s, "end": e, "text": context[s:e]})
        return context, {**material, "passages": passages,
                         "context_chars": len(context),
                         "context_tokens": estimate_tokens(context)}
    for more in material["documents"][1:]:  # documents the context runs on into
        body += f"\n\n## {more['title']}\n\n" + cut(
            texts[more["id"]][more["start"]:more["end"]], more["target_chars"], more["floor"])
    spec = material["item"]
    item = make_item(body, spec["kind"], spec["seed"], spec["facts"], spec["depths"])
    context = header + item.context
    facts = []
    for f in item.facts:
        start = f.start + len(header)
        depth = round(start / len(context), 4)
        facts.append({"text": f.text, "start": start, "end": start + len(f.text),
                      "depth": depth, "bucket": bucket_of(depth),
                      "position": position_of(start, len(context))})
    return context, {**material, "question": item.question, "answer_key": item.answer,
                     "kind": item.kind, "facts": facts,
                     "spread_chars": item.spread_chars,
                     "passages": fact_passages(context, facts),
                     "context_chars": len(context), "context_tokens": estimate_tokens(context)}


def fact_passages(context: str, facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The text around each fact (~PASSAGE_PAD_CHARS each side: from a sentence's start,
    to a word's end), in context order, overlapping ones merged."""
    spans: list[tuple[int, int]] = []
    for fact in sorted(facts, key=lambda f: f["start"]):
        s = max(0, fact["start"] - PASSAGE_PAD_CHARS)
        if s > 0:
            opening = SENTENCE_END.search(context, s, fact["start"])
            s = opening.end() if opening else context.find(" ", s, fact["start"]) + 1 or s
        e = min(len(context), fact["end"] + PASSAGE_PAD_CHARS)
        if e < len(context):
            e = max(fact["end"], context.rfind(" ", fact["end"], e))
        if spans and s <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], e))
        else:
            spans.append((s, e))
    return [{"start": s, "end": e, "text": context[s:e]} for s, e in spans]


def _words(text: str) -> str:
    """Lower-cased words and numbers, thousands separators dropped: what comparing a trace
    with a quote or an answer looks at."""
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text.lower())
    return " ".join(re.findall(r"[\w]+", text))


def quotes_in(quote: str, reasoning: str) -> bool:
    """Whether the reasoning quotes `quote` (its words in order, case and punctuation aside)."""
    return _words(quote) in _words(reasoning)


def concludes_with(reasoning: str, answer: str) -> bool:
    """Whether the trace's last sentence states the answer."""
    sentences = [s for s in re.split(r"(?<=[.!?])[\"'”’)]*\s+", reasoning.strip()) if s.strip()]
    tail = _words(sentences[-1]) if sentences else ""
    wanted = _words(normalise_answer(answer))
    return bool(wanted) and re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", tail) is not None


def answers_match(answer: str, key: str) -> bool:
    return normalise_answer(answer) == normalise_answer(key)


def assistant_message(reasoning: str, answer: str, layout: str) -> dict[str, str]:
    """The assistant turn: the trace in ``<think>…</think>`` before the answer, or in a
    ``reasoning_content`` field beside it (the layouts trainers read)."""
    if layout == "think":
        return {"role": "assistant",
                "content": f"<think>\n{reasoning.strip()}\n</think>\n\n{answer.strip()}"}
    if layout == "reasoning_content":
        return {"role": "assistant", "reasoning_content": reasoning.strip(),
                "content": answer.strip()}
    raise ValueError(f"trace layout is one of {', '.join(TRACE_LAYOUTS)}, not {layout!r}")


def user_message(record: dict[str, Any]) -> dict[str, str]:
    """The question after the context it is asked about."""
    return {"role": "user", "content": f"{record['context']}\n\n{record['question']}"}
