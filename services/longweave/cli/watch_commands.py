"""Watch: `runs`, `status`, `report`."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from longweave.cli.common import json_option, out_option, require_runs, settings, with_store
from longweave.cli.errors import UserError

# A run's states, from published to finished (store.FINISHED_RUN_STATUSES end it).
RUN_STATES = ("published", "sampling", "running", "complete", "failed", "cancelled",
              "budget_stopped")


@click.command(short_help="list runs: id, paradigm, created, state, counts, tokens, cost")
@click.option("--status", "state", type=click.Choice(RUN_STATES), help="only runs in this state")
@click.option("--paradigm", help="only runs of this paradigm")
@click.option("--since", metavar="AGE", help="only runs created within AGE: 30m, 12h, 2d, 1w")
@json_option
def runs(state: str | None, paradigm: str | None, since: str | None, as_json: bool) -> int:
    """List the runs in the store, newest first."""
    from longweave.run_summary import parse_since
    from longweave.runs import list_runs

    try:
        after = datetime.now(UTC) - parse_since(since) if since else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    found = with_store(lambda store: list_runs(store, state, paradigm, after))
    if as_json:
        for run in found:
            print(json.dumps(run, default=str))
        return 0
    if not found:
        print("no runs" + (" match" if state or paradigm or since else " yet: "
                           "`longweave publish` starts one"), file=sys.stderr)
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    for name, justify in (("run", "left"), ("paradigm", "left"), ("created (UTC)", "left"),
                          ("state", "left"), ("accepted", "right"), ("dead", "right"),
                          ("stopped", "right"), ("requested", "right"), ("tokens", "right"),
                          ("cost $", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for run in found:
        created = run.get("created")
        table.add_row(
            run["run_id"], run.get("paradigm") or "-",
            f"{created:%Y-%m-%d %H:%M}" if isinstance(created, datetime) else "-",
            run.get("state") or "-", *(_count(run.get(k)) for k in (
                "accepted", "dead_lettered", "stopped", "requested", "tokens")),
            f"{run['cost_usd']:.4f}" if run.get("cost_usd") is not None else "-")
    # A terminal gets its width; a pipe gets whole rows (rich would squeeze them into 80).
    Console(width=None if sys.stdout.isatty() else 1000).print(table)
    return 0


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else "-"


@click.command(short_help="a run's progress, throughput, ETA and reasons for failures")
@click.argument("run_id")
@click.option("--wait", is_flag=True,
              help="follow the run until it finishes (exit 0; a failed run: 1), or time out "
                   "(exit 3)")
@click.option("--timeout", type=click.FloatRange(min=0), default=3600.0, show_default=True,
              help="seconds --wait waits")
@json_option
def status(run_id: str, wait: bool, timeout: float, as_json: bool) -> int:
    """A run's samples per stage, throughput and ETA; a failed run's or dead-lettered
    samples' top reasons. An unknown run id is an error (exit 2); a run just published is
    waited for."""
    from longweave.report import default_out_dir
    from longweave.watch import watch_run

    async def known(store: Any) -> dict[str, Any]:
        await require_runs(store, [run_id])
        return await store.get_run(run_id) or {}  # None: published, not yet read

    run = with_store(known)
    code = asyncio.run(watch_run(settings(), run_id, wait, timeout, as_json))
    default = default_out_dir([run_id]) / "report.html"
    latest = Path(run["report_path"]) if run.get("report_path") else None
    where = sys.stderr if as_json else sys.stdout  # --json: standard output is JSON only
    if latest is not None and latest.exists() and latest != default.resolve():
        print(f"report: {latest} (the latest written)", file=where)
    elif default.exists():
        print(f"report: {default.resolve()} (`longweave report {run_id}` rewrites it)",
              file=where)
    else:
        print(f"report: `longweave report {run_id}` writes {default}", file=where)
    return code


@click.command(short_help="a run's quality report (HTML and JSON), or several side by side")
@click.argument("run_ids", nargs=-1, required=True, metavar="RUN_ID...")
@out_option("where report.html and report.json go (default: out/reports/<run id>)")
@click.option("--title", help="the page's title")
@click.option("--label", "labels", multiple=True, metavar="RUN_ID=LABEL",
              help="a run's column name (repeatable; default: its id)")
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path),
              help="also write the main figures as one PNG")
@json_option
def report(run_ids: tuple[str, ...], out: Path | None, title: str | None,
           labels: tuple[str, ...], png: Path | None, as_json: bool) -> int:
    """Write a run's quality report: yield funnel, rejection reasons, judge scores,
    lengths, diversity, coverage, cost; several runs render side by side. --json also
    prints report.json."""
    from longweave.cli.common import key_values
    from longweave.report import stderr_progress, write_report

    names = key_values("--label", labels, "RUN_ID=LABEL")
    ids = list(dict.fromkeys(run_ids))
    stray = sorted(set(names) - set(ids))
    if stray:
        raise UserError(f"--label names runs not reported: {', '.join(stray)}")

    async def go(store: Any) -> Path:
        await require_runs(store, ids)
        return await write_report(ids, out, store, settings(), title, names or None,
                                  png=png, progress=stderr_progress)

    try:
        path = with_store(go)
    except ValueError as exc:
        raise UserError(f"report failed: {exc}") from None
    if as_json:
        print((path.parent / "report.json").read_text(encoding="utf-8"))
    print(path, file=sys.stderr if as_json else sys.stdout)
    return 0
