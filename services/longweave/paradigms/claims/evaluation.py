"""Evaluating a model on claim verification (``longweave eval claims``): every claim of a
run, or of an ``sft`` export of one, asked of any OpenAI-compatible model with the book (or
the chapters that fit) in context; scored by accuracy, and by pair accuracy (both claims of
a pair right), as the CLIPPER paper and NoCha count.

The pure part (items, verdict parsing, scores) is apart from the calls (`evaluate`, given
a chat function), so it is tested without a server."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

_ANSWER = re.compile(r"answer\W{0,6}(true|false)\b", re.IGNORECASE)
_LAST_WORD = re.compile(r"\b(true|false)\b", re.IGNORECASE)
TAIL_CHARS = 300  # without an "Answer:" line, a bare verdict is looked for at the end


@dataclass(frozen=True)
class ClaimItem:
    pair_id: str
    label: bool
    messages: list[dict[str, str]]  # the question: the book (or chapters) and the claim


def items_from_rows(rows: Iterable[dict[str, Any]]) -> list[ClaimItem]:
    """Items from ``sft`` export rows of the claims paradigm (``id`` = pair id + ``:true``
    or ``:false``; the assistant message ends in the verdict)."""
    items = []
    for n, row in enumerate(rows, start=1):
        messages = row.get("messages") or []
        if len(messages) < 2 or messages[-1].get("role") != "assistant" or "id" not in row:
            raise ValueError(f"row {n} is not a claims sft row (messages ending in the "
                             "assistant's verdict, and an id)")
        label = parse_verdict(messages[-1]["content"])
        if label is None:
            raise ValueError(f"row {n}: its assistant message states no verdict")
        pair_id, _, _ = str(row["id"]).rpartition(":")
        items.append(ClaimItem(pair_id or str(row["id"]), label, messages[:-1]))
    return items


def parse_verdict(text: str) -> bool | None:
    """The verdict a reply ends in: its last "Answer: True/False", else the last bare True
    or False near its end; None when it states none."""
    found = _ANSWER.findall(text)
    if not found:
        found = _LAST_WORD.findall(text[-TAIL_CHARS:])
    return None if not found else found[-1].lower() == "true"


def scores(items: list[ClaimItem], verdicts: list[bool | None]) -> dict[str, Any]:
    """Accuracy over claims, pair accuracy over pairs (a pair counts when every one of its
    claims is right), and how many replies stated no verdict (counted wrong)."""
    right = [v is not None and v == item.label for item, v in zip(items, verdicts, strict=True)]
    pairs: dict[str, list[bool]] = {}
    for item, ok in zip(items, right, strict=True):
        pairs.setdefault(item.pair_id, []).append(ok)
    return {"claims": len(items), "correct": sum(right),
            "accuracy": sum(right) / len(items) if items else 0.0,
            "pairs": len(pairs), "pairs_correct": sum(all(p) for p in pairs.values()),
            "pair_accuracy": (sum(all(p) for p in pairs.values()) / len(pairs)
                              if pairs else 0.0),
            "unparsed": sum(v is None for v in verdicts)}


async def evaluate(items: list[ClaimItem],
                   chat: Callable[[list[dict[str, str]]], Awaitable[str]],
                   concurrency: int = 4,
                   progress: Callable[[int, int], None] | None = None
                   ) -> tuple[dict[str, Any], list[bool | None]]:
    """Ask `chat` every item (at most `concurrency` at once); the scores and each verdict."""
    gate = asyncio.Semaphore(concurrency)
    done = 0

    async def ask(item: ClaimItem) -> bool | None:
        nonlocal done
        async with gate:
            verdict = parse_verdict(await chat(item.messages))
        done += 1
        if progress is not None:
            progress(done, len(items))
        return verdict

    verdicts = list(await asyncio.gather(*(ask(item) for item in items)))
    return scores(items, verdicts), verdicts
