"""Following a run from a terminal: its status as one line, printed as it changes."""

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


async def watch_run(settings: Settings, run_id: str, wait: bool, timeout: float,
                 as_json: bool = False) -> int:
    store = Store(settings.mongodb_uri, settings.mongodb_db)
    deadline = time.monotonic() + timeout
    last = None
    try:
        while True:
            status = await run_status(store, run_id)
            line = json.dumps(status, default=str) if as_json else render_status(status)
            if line != last:
                print(line, flush=True)
                last = line
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


def render_status(status: dict[str, Any], width: int = 24) -> str:
    """One line: a progress bar over finished samples, then the count at each stage."""
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
    return (f"[{'#' * filled}{'.' * (width - filled)}] {ended}/{requested} {status['status']}"
            f" | {in_flight or '-'} | {ends} | regenerated {status['regenerated']}{why}")
