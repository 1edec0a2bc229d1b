"""Following a run from a terminal: its status as one line (and the top reasons its
samples fail for), printed as it changes."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from longweave.client import run_status
from longweave.paradigms import PARADIGMS
from longweave.settings import Settings
from longweave.store import ACTIVE_STAGES, Store

PACE_KEYS = ("throughput_per_min", "eta_s")


async def watch_run(settings: Settings, run_id: str, wait: bool, timeout: float,
                 as_json: bool = False) -> int:
    store = Store(settings.mongodb_uri, settings.mongodb_db)
    deadline = time.monotonic() + timeout
    last = None
    try:
        while True:
            status = await run_status(store, run_id)
            if not status["known"]:  # a typo must not look like a run not started yet
                print(f"no run {run_id} (see `longweave runs`)", file=sys.stderr)
                return 2
            # Throughput and ETA move with the clock: a line is printed as the rest moves.
            steady = {k: v for k, v in status.items() if k not in PACE_KEYS}
            seen = json.dumps(steady, default=str) if as_json else render_status(steady)
            if seen != last:
                print(json.dumps(status, default=str) if as_json else render_status(status),
                      flush=True)
                last = seen
            if status["finished"] or not wait:
                if status["finished"] and not as_json:
                    for report_line in await run_report(store, run_id):
                        print(report_line)
                # complete, cancelled and budget-stopped runs are all finished: exit 0
                return 0 if status["status"] != "failed" else 1
            if time.monotonic() > deadline:
                print(f"timed out after {timeout:.0f}s", file=sys.stderr)
                return 3
            await asyncio.sleep(1.0)
    finally:
        store.close()


async def run_report(store: Store, run_id: str) -> list[str]:
    """A finished run's figures from its paradigm (the lines of its dataset card: e.g. a
    claims run's compression per book), read once from its records."""
    run = await store.get_run(run_id) or {}
    name = (run.get("request") or {}).get("paradigm", "")
    if name not in PARADIGMS:
        return []
    return PARADIGMS[name].card_lines(await store.records_of_run(run_id).to_list(None))


REASONS_SHOWN = 3
REASON_CHARS_SHOWN = 160


def render_status(status: dict[str, Any], width: int = 24) -> str:
    """One line: a progress bar over finished samples (with the throughput and ETA when
    known), then the count at each stage; under it, the top reasons samples failed for."""
    return "\n".join([_progress_line(status, width), *_reason_lines(status)])


def _progress_line(status: dict[str, Any], width: int) -> str:
    requested = status["requested"]
    why = f" ({status['error']})" if status.get("error") else ""
    if not requested:
        return f"{status['run_id']}: {status['status']}{why}"
    ended = sum(status["stages"][k] for k in ("accepted", "dead_lettered", "stopped"))
    filled = int(width * ended / requested)
    stages = status["stages"]
    in_flight = " ".join(f"{k} {stages[k]}" for k in ACTIVE_STAGES if stages[k])
    ends = f"accepted {stages['accepted']} · dead-lettered {stages['dead_lettered']}"
    if stages["stopped"]:
        ends += f" · stopped {stages['stopped']}"
    pace = ""
    if status.get("throughput_per_min") is not None:
        pace = f" · {status['throughput_per_min']:.1f}/min"
        if status.get("eta_s") is not None:
            pace += f" · ETA {duration(status['eta_s'])}"
    return (f"[{'#' * filled}{'.' * (width - filled)}] {ended}/{requested} {status['status']}"
            f"{pace} | {in_flight or '-'} | {ends} | regenerated {status['regenerated']}{why}")


def _reason_lines(status: dict[str, Any]) -> list[str]:
    # The run's error is on the progress line already.
    shown = [r for r in status.get("reasons") or [] if r["reason"] != status.get("error")]
    return [f"  {r['count']}× {_shortened(r['reason'])}" +
            (f" (e.g. sample {r['example_sample']})" if r.get("example_sample") else "")
            for r in shown[:REASONS_SHOWN]]


def _shortened(reason: str, limit: int = REASON_CHARS_SHOWN) -> str:
    """A reason cut to a line (a check may list every turn it failed; --json keeps all)."""
    return reason if len(reason) <= limit else reason[:limit - 1].rstrip() + "…"


def duration(seconds: float) -> str:
    """A short duration: 45s, 3m20s, 2h05m, 3d04h."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"
