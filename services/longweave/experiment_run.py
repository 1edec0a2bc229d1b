"""`longweave experiment NAME`: publish one run per arm (`experiments.arm_requests`), wait
for all of them, then write their reports side by side (diversity and judge scores per
arm, with plots) and print where.

The runs go to the mesh the settings point at (the user's own, e.g. on Kubernetes);
``--local`` brings up the local stack and services for the duration, as the demo does.
The run ids derive from the experiment and its base request, so running the same command
again after an interruption waits for the same runs instead of starting new ones.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from longweave.client import build_request, publish_request, run_status
from longweave.experiments import Experiment, arm_requests, experiment_id
from longweave.settings import Settings
from longweave.store import Store


def run_experiment(settings: Settings, experiment: Experiment, base: dict[str, Any],
                   out_dir: Path | None, timeout_s: float, local: bool = False) -> int:
    try:
        arms = [(arm, build_request(fields)) for arm, fields in arm_requests(experiment, base)]
    except ValueError as exc:
        print(f"invalid experiment request:\n{exc}", file=sys.stderr)
        return 2
    out_dir = out_dir or Path("out/experiments") / experiment_id(experiment.name, base)
    if local:
        from longweave.demo import local_mesh

        with local_mesh(settings):
            return _run(settings, experiment, arms, out_dir, timeout_s)
    return _run(settings, experiment, arms, out_dir, timeout_s)


def _run(settings: Settings, experiment: Experiment, arms: list, out_dir: Path,
         timeout_s: float) -> int:
    print(f"» {experiment.name}: {experiment.question}", flush=True)
    for arm, request in arms:
        asyncio.run(publish_request(settings, request))
        print(f"» published {request.count} × {request.paradigm} with "
              f"{experiment.field}={arm.value}: run {request.run_id}", flush=True)
    labels = {request.run_id: arm.label for arm, request in arms}
    statuses = asyncio.run(wait_for_runs(settings, labels, timeout_s))
    if statuses is None:
        print(f"timed out after {timeout_s:.0f}s; run the same command again to keep "
              "waiting for these runs", file=sys.stderr)
        return 3
    path = asyncio.run(_write_report(settings, list(labels), out_dir, experiment, labels))
    print(f"» report: {path}")
    return 0 if all(s["status"] != "failed" for s in statuses.values()) else 1


async def wait_for_runs(settings: Settings, labels: dict[str, str], timeout_s: float
                        ) -> dict[str, dict[str, Any]] | None:
    """Every run's status once all have finished (None on timeout); progress on stderr,
    each run named by its label."""
    store = Store(settings.mongodb_uri, settings.mongodb_db)
    deadline = time.monotonic() + timeout_s
    last = ""
    try:
        while True:
            statuses = {r: await run_status(store, r) for r in labels}
            line = " · ".join(f"{labels[r]}: {s['done']}/{s['requested'] or '?'}"
                              for r, s in statuses.items())
            if line != last:
                print(f"  {line}", file=sys.stderr, flush=True)
                last = line
            if all(s["finished"] for s in statuses.values()):
                return statuses
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(2.0)
    finally:
        store.close()


async def _write_report(settings: Settings, run_ids: list[str], out_dir: Path,
                        experiment: Experiment, labels: dict[str, str]) -> Path:
    from longweave.report import write_report

    store = Store(settings.mongodb_uri, settings.mongodb_db)
    try:
        return await write_report(run_ids, out_dir, store, settings,
                                  title=f"Experiment: {experiment.name}", arm_labels=labels,
                                  question=experiment.question)
    finally:
        store.close()
