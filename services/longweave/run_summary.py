"""What `status` and `runs` say about a run, computed from what the store returned: the age
a ``--since`` names, a run's failure reasons grouped by kind, its throughput and ETA, and
its row in a listing. Pure: no store, no clock (callers pass `now`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict

# -- ages ------------------------------------------------------------------------------

AGE_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1),
             "w": timedelta(weeks=1)}
AGE_FORM = re.compile(r"([0-9]+)([mhdw])")


def parse_since(text: str) -> timedelta:
    """An age such as "30m", "2h", "2d" or "1w" (minutes, hours, days, weeks)."""
    match = AGE_FORM.fullmatch(text.strip())
    if match is None or int(match[1]) == 0:
        raise ValueError(f"invalid age {text!r}: a positive whole number followed by "
                         "m, h, d or w (minutes, hours, days, weeks), e.g. 30m, 2h, 2d, 1w")
    return int(match[1]) * AGE_UNITS[match[2]]


# -- failure reasons -------------------------------------------------------------------

class Reason(TypedDict):
    reason: str  # one reason of its kind, verbatim
    count: int  # dead letters giving a reason of this kind (the run's own error: 1)
    example_sample: str | None  # a dead-lettered sample that gave it, if any did


# "label: detail", the label being a check, a stage or a field (no brackets or quotes, so
# a colon inside a printed dict or a quote is not taken for one).
LABELLED = re.compile(r"([^:{}\[\]()'\"]{1,60}):\s+(\S*)", re.DOTALL)
PLAIN_WORD = re.compile(r"[A-Za-z_][A-Za-z_-]*")
HAS_DIGIT = re.compile(r"\S*[0-9]\S*")


def reason_kind(reason: str) -> str:
    """What reasons that differ only in numbers and ids share: the label before the first
    colon and the first word after it ("token_window: #", "judge: coherence": a judge's
    axes stay apart), words holding digits masked; an unlabelled reason, whole, masked."""
    match = LABELLED.match(reason.strip())
    if match is None:
        return HAS_DIGIT.sub("#", reason.strip())
    label, first = match[1], match[2].rstrip(":;,.")
    return f"{HAS_DIGIT.sub('#', label)}: {first if PLAIN_WORD.fullmatch(first) else '#'}"


def top_reasons(letters: Iterable[Mapping[str, Any]], run_error: str | None = None,
                n: int = 3) -> list[Reason]:
    """The `n` most frequent kinds of reason among a run's dead letters (documents with
    ``reasons`` and ``sample_id``), each counted once per letter and shown by its first
    example; preceded by `run_error` (why the whole run failed) unless a letter says the
    same (the sampler dead-letters the request it fails with the same problems)."""
    groups: dict[str, Reason] = {}
    verbatim: set[str] = set()
    for letter in letters:
        reasons = [str(r) for r in letter.get("reasons") or []]
        verbatim.update(reasons)
        verbatim.add("; ".join(reasons))
        for kind in dict.fromkeys(reason_kind(r) for r in reasons):
            if kind in groups:
                groups[kind]["count"] += 1
                continue
            example = next(r for r in reasons if reason_kind(r) == kind)
            groups[kind] = Reason(reason=example, count=1,
                                  example_sample=letter.get("sample_id"))
    ranked = sorted(groups.values(), key=lambda g: -g["count"])[:n]  # stable: first seen
    if run_error and run_error not in verbatim:
        return [Reason(reason=run_error, count=1, example_sample=None), *ranked]
    return ranked


# -- throughput ------------------------------------------------------------------------

def throughput_and_eta(end_times: list[datetime], remaining: int, now: datetime,
                       window_s: float = 300) -> tuple[float | None, float | None]:
    """(samples finished per minute, seconds until `remaining` more have) over the
    completions of the last `window_s`: the gaps from the oldest of them to `now`, so a
    run that stalls slows down. None for both when fewer than two completions fall in the
    window; the ETA is None when nothing remains."""
    start = now - timedelta(seconds=window_s)
    recent = [t for t in end_times if t >= start]  # a later one: another host's clock
    if len(recent) < 2:
        return None, None
    span_s = (now - min(recent)).total_seconds()
    if span_s <= 0:
        return None, None
    per_s = (len(recent) - 1) / span_s
    return per_s * 60, (remaining / per_s if remaining > 0 else None)


# -- listing ---------------------------------------------------------------------------

def usage_totals(run: Mapping[str, Any]) -> tuple[int | None, float | None]:
    """(tokens, cost in USD) of a run from its own document: the LLM gateway's paid totals
    (``llm_usage``, kept up to date while the run goes), else the tokens of its recorded
    calls (``usage``, written when it finished); None when neither is there."""
    paid = run.get("llm_usage") or {}
    counted = paid if "prompt_tokens" in paid or "completion_tokens" in paid else \
        run.get("usage") or {}
    tokens = int(counted.get("prompt_tokens", 0) + counted.get("completion_tokens", 0)) \
        if counted else None
    cost = paid.get("cost_usd")
    return tokens, (float(cost) if cost is not None else None)


def run_row(run: Mapping[str, Any]) -> dict[str, Any]:
    """A run document as one row of `longweave runs`."""
    tokens, cost = usage_totals(run)
    return {"run_id": run["_id"], "paradigm": (run.get("request") or {}).get("paradigm"),
            "created": run.get("created_at"), "state": run.get("status"),
            "requested": run.get("requested"), "accepted": run.get("accepted", 0),
            "dead_lettered": run.get("dead_lettered", 0), "stopped": run.get("stopped", 0),
            "tokens": tokens, "cost_usd": cost}


def published_row(published: Mapping[str, Any]) -> dict[str, Any]:
    """A request published but not yet read by the sampler, as a row of `longweave runs`."""
    return {"run_id": published["_id"], "paradigm": published.get("paradigm"),
            "created": published.get("published_at"), "state": "published",
            "requested": published.get("count"), "accepted": 0, "dead_lettered": 0,
            "stopped": 0, "tokens": None, "cost_usd": None}


EARLIEST = datetime.min.replace(tzinfo=UTC)


def newest_first(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows by creation, newest first (rows without a date last), then by run id."""
    return sorted(rows, key=lambda r: (r.get("created") or EARLIEST, r["run_id"]),
                  reverse=True)
