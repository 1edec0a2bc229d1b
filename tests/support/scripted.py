"""Scripts for the scripted test server: conversations that pass every rule check, and
judge replies that pass or fail. Each is tied to one catalog scenario by its city, which
both the segment prompt and the judge prompt quote."""

from __future__ import annotations

import random
from typing import Any

from longweave.judge.logic import load_rubric
from longweave.paradigms import PARADIGMS

AXES = load_rubric(PARADIGMS["conversation"].rubric_path).axis_names


DRAFTS = ("first", "second", "third")
NOUNS = ("ticket", "receipt", "deadline", "form", "reference", "manager", "refund", "office",
         "contract", "appointment", "schedule", "invoice", "account", "meter", "policy",
         "passport", "voucher", "statement", "permit", "letter")
VERBS = ("check", "send", "confirm", "review", "update", "sign", "request", "compare",
         "print", "renew")
SENTENCES = (
    "Please {v} the {n} before {d}.",
    "I tried to {v} my {n}, but the {m} was missing.",
    "The {n} number is {k}, and the {m} arrived on {d}.",
    "Could you {v} whether the {n} covers the {m}?",
    "We usually {v} a {n} within {k} days of the {m}.",
    "If the {n} is late, {v} the {m} and keep a copy.",
    "That depends on the {n}; some offices {v} it by {d}.",
    "Is there a fee to {v} the {n} after {k} weeks?",
)
DAYS = ("Monday", "Tuesday", "Friday", "the weekend", "next month", "the 14th")


def _sentence(rng: random.Random) -> str:
    return rng.choice(SENTENCES).format(v=rng.choice(VERBS), n=rng.choice(NOUNS),
                                        m=rng.choice(NOUNS), d=rng.choice(DAYS),
                                        k=rng.randint(2, 999))


def conversation_segment(city: str, segment: int, exchanges: int = 2, draft: int = 0
                         ) -> dict[str, Any]:
    """Loop-free turns of the sizes the segment schema asks for (target 200: users ≤ 80
    characters, assistants 100-200), different
    for every city, segment and `draft` (attempt), so no two records are near-duplicates."""
    rng = random.Random(f"{city}:{segment}:{draft}")
    items = []
    for _ in range(exchanges):
        user = f"In {city}, {_sentence(rng).lower()}"[:80]
        items.append({"user": user, "assistant": _sentences_between(rng, 110, 195)})
    return {"exchanges": items}


def _sentences_between(rng: random.Random, low: int, high: int) -> str:
    """Sentences appended while they fit under `high`, until at least `low` characters."""
    text = ""
    while len(text) < low:
        candidate = f"{text} {_sentence(rng)}".strip()
        if len(candidate) <= high:
            text = candidate
    return text


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
            "replies": [{"content": conversation_segment(city, s, draft=d),
                         "latency_s": segment_latency_s} for d in range(len(DRAFTS))],
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
