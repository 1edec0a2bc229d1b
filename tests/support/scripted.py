"""Scripts for the scripted test server: conversations that pass every rule check, and
judge replies that pass or fail. Each is tied to one catalog scenario by its city, which
both the segment prompt and the judge prompt quote."""

from __future__ import annotations

from typing import Any

from longweave.judge.logic import RUBRICS

AXES = list(RUBRICS["conversation"])


def conversation_segment(city: str, segment: int, exchanges: int = 2) -> dict[str, Any]:
    """Distinct, loop-free turns of the sizes the segment schema asks for (target 200)."""
    items = []
    for j in range(exchanges):
        tag = f"{city} part {segment} exchange {j}"
        items.append({
            "user": f"In {tag}, what should I prepare before the appointment?",
            "assistant": (
                f"For {tag}, bring the signed form and a copy of your identity document. "
                f"The office in {city} checks them first, then records the reference number "
                f"{segment}{j}7 so that any later question can be traced quickly."
            ),
        })
    return {"exchanges": items}


def judge_reply(score: int) -> dict[str, Any]:
    return {axis: {"score": score, "rationale": f"{axis} looks like a {score} out of 5"}
            for axis in AXES}


def rules_for_city(city: str, judge_scores: list[int], segment_latency_s: float = 0.0,
                   segments: int = 2) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for s in range(segments):
        first, last = 2 * s + 1, 2 * s + 2
        rules.append({
            "name": f"segment-{city}-{s}",
            "match": f"(?s)Place: {city}.*exchanges {first} to {last} of",
            "replies": [{"content": conversation_segment(city, s),
                         "latency_s": segment_latency_s}],
        })
    rules.append({
        "name": f"judge-{city}",
        "match": f"(?s)strict reviewer.*Place: {city}",
        "replies": [{"content": judge_reply(score)} for score in judge_scores],
    })
    return rules


SUMMARY_RULE = {
    "name": "summary",
    "match": "running summaries",
    "replies": [{"content": "The user asked what to prepare; the assistant listed documents."}],
}
