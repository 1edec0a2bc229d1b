"""The conversation paradigm's section of ``longweave report``: the shape of the accepted
dialogues (turns, turn lengths by role, questions the user asks) and how their openings
vary, the first place template collapse shows (the method's failure signature: records
structurally alike however their scenario fields differ)."""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from longweave.language import tokens
from longweave.llm.tokens import estimate_tokens
from longweave.paradigms.base import ReportSection

OPENING_WORDS = 3
SHOWN_OPENINGS = 8
_QUESTION_MARKS = ("?", "？", "؟")


def opening(text: str) -> str:
    """The first `OPENING_WORDS` words of a turn, lower-cased, punctuation dropped (in
    scripts written without spaces, its first letters)."""
    return " ".join(tokens(text)[:OPENING_WORDS])


def report_section(records: list[dict[str, Any]]) -> ReportSection:
    dialogues = [[m for m in r.get("messages", []) if m.get("role") != "system"]
                 for r in records]
    user = [m["content"] for d in dialogues for m in d if m.get("role") == "user"]
    assistant = [m["content"] for d in dialogues for m in d if m.get("role") == "assistant"]
    user_tokens = [estimate_tokens(t) for t in user]
    assistant_tokens = [estimate_tokens(t) for t in assistant]
    openings = Counter(opening(d[0]["content"]) for d in dialogues if d)
    unique = sum(n for n in openings.values() if n == 1)
    return ReportSection(
        title="Conversation: turns and openings",
        notes=(f"Openings: the first {OPENING_WORDS} words of each record's first turn. "
               "Many records sharing an opening is template collapse: alike in form "
               "whatever their scenario.",),
        numbers={
            "records": len(records),
            "turns per record": _mean([len(d) for d in dialogues]),
            "tokens per user turn (median)": _median(user_tokens),
            "tokens per assistant turn (median)": _median(assistant_tokens),
            "user turns asking a question": _share(
                sum(1 for t in user if t.rstrip().endswith(_QUESTION_MARKS)), len(user)),
            "records with an opening no other record has": _share(unique, sum(openings.values())),
        },
        counts={"first turn opens with": dict(openings.most_common(SHOWN_OPENINGS))},
        distributions={"tokens per user turn": user_tokens,
                       "tokens per assistant turn": assistant_tokens},
    )


def _mean(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
