"""`longweave` command line: serve, stack, publish, status, export, contracts, demo."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from longweave.settings import SERVICE_NAMES, Settings


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    settings = Settings()
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per LLM call is noise
    try:
        return int(args.func(args, settings) or 0)
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="longweave", description=__doc__)
    sub = p.add_subparsers(required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run one service, or all six in one process")
    serve.add_argument("service", choices=[*SERVICE_NAMES, "all"])
    serve.set_defaults(func=_serve)

    stack = sub.add_parser("stack", help="local broker, store and model server")
    stack.add_argument("action", choices=["up", "down", "status"])
    stack.add_argument("--no-llm", action="store_true", help="do not start the local model")
    stack.set_defaults(func=_stack)

    pub = sub.add_parser("publish", help="publish a scenario request; prints the run id last")
    pub.add_argument("--file", type=Path, help="a request as JSON or YAML")
    pub.add_argument("--paradigm")
    pub.add_argument("--count", type=int)
    pub.add_argument("--objective", choices=["sft", "dpo"])
    pub.add_argument("--segments", type=int, help="N segments per record")
    pub.add_argument("--turns", type=int, help="K turns per segment")
    pub.add_argument("--target-tokens", type=int)
    pub.add_argument("--tolerance", type=float, help="length window: target × (1 ± tolerance)")
    pub.add_argument("--max-attempts", type=int)
    pub.add_argument("--judge-min-score", type=int)
    pub.add_argument("--filter", action="append", default=[], metavar="FIELD=VALUE")
    pub.add_argument("--seed", type=int)
    pub.add_argument("--run-id")
    pub.set_defaults(func=_publish)

    status = sub.add_parser("status", help="per-stage progress of a run")
    status.add_argument("run_id")
    status.add_argument("--wait", action="store_true", help="wait until the run finishes (exit 0), or time out (exit 3)")
    status.add_argument("--timeout", type=float, default=3600.0)
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=_status)

    export = sub.add_parser("export", help="write a run's accepted records as JSONL")
    export.add_argument("run_id")
    export.add_argument("--format", default="sft", choices=["sft"])
    export.add_argument("--out", type=Path, required=True)
    export.set_defaults(func=_export)

    contracts = sub.add_parser("contracts", help="regenerate contracts/ from the models")
    contracts.add_argument("--check", action="store_true", help="fail if contracts/ is stale")
    contracts.add_argument("--dir", type=Path, default=Path("contracts"))
    contracts.set_defaults(func=_contracts)

    demo = sub.add_parser("demo", help="stack up, mesh, a small run, export, summary, stop")
    demo.add_argument("--count", type=int, default=3)
    demo.add_argument("--out", type=Path, default=Path("out/demo"))
    demo.add_argument("--timeout", type=float, default=480.0)
    demo.set_defaults(func=_demo)
    return p


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.runtime import serve

    names = list(SERVICE_NAMES) if args.service == "all" else [args.service]
    asyncio.run(serve(settings, names))
    return 0


def _stack(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.stack.local import LocalStack

    stack = LocalStack(settings)
    if args.action == "up":
        stack.up(with_llm=not args.no_llm)
    elif args.action == "down":
        stack.down()
    ready = True
    for name, st in stack.status().items():
        state = "ready" if st.ready else ("running" if st.running else "stopped")
        print(f"{name:8} {st.address:28} {state:8} pid={st.pid or '-'}")
        ready &= bool(st.ready) or args.action == "down" or (args.no_llm and name == "llm")
    return 0 if ready or args.action == "status" else 1


def _request_fields(args: argparse.Namespace) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if args.file:
        from longweave.client import load_request_file

        fields.update(load_request_file(args.file))
    flags = {
        "paradigm": args.paradigm, "count": args.count, "objective": args.objective,
        "segments": args.segments, "turns_per_segment": args.turns,
        "target_tokens": args.target_tokens, "length_tolerance": args.tolerance,
        "max_attempts": args.max_attempts, "judge_min_score": args.judge_min_score,
        "seed": args.seed, "run_id": args.run_id,
    }
    fields.update({k: v for k, v in flags.items() if v is not None})
    for item in args.filter:
        name, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--filter wants FIELD=VALUE, got {item!r}")
        fields.setdefault("filters", {})[name] = value
    return fields


def _publish(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.client import build_request, publish_request

    try:
        request = build_request(_request_fields(args))
    except ValidationError as exc:
        print(f"invalid request:\n{exc}", file=sys.stderr)
        return 2
    run_id = asyncio.run(publish_request(settings, request))
    print(f"published request {request.request_id}: {request.count} × {request.paradigm}")
    print(run_id)
    return 0


def _status(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_watch(settings, args.run_id, args.wait, args.timeout, args.json))


async def _watch(settings: Settings, run_id: str, wait: bool, timeout: float,
                 as_json: bool = False) -> int:
    from longweave.client import run_status
    from longweave.store import Store

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
                # complete, cancelled and budget-stopped runs are all finished: exit 0
                return 0 if status["status"] != "failed" else 1
            if time.monotonic() > deadline:
                print(f"timed out after {timeout:.0f}s", file=sys.stderr)
                return 3
            await asyncio.sleep(1.0)
    finally:
        store.close()


def render_status(status: dict[str, Any], width: int = 24) -> str:
    """One line: a progress bar over finished samples, then the count at each stage."""
    requested = status["requested"]
    if not requested:
        return f"{status['run_id']}: {status['status']}"
    ended = sum(status["stages"][k] for k in ("accepted", "dead_lettered", "stopped"))
    filled = int(width * ended / requested)
    stages = status["stages"]
    in_flight = " ".join(f"{k} {stages[k]}" for k in
                         ("queued", "generating", "validating", "judging", "storing") if stages[k])
    ends = f"accepted {stages['accepted']} · dead-lettered {stages['dead_lettered']}"
    if stages["stopped"]:
        ends += f" · stopped {stages['stopped']}"
    return (f"[{'#' * filled}{'.' * (width - filled)}] {ended}/{requested} {status['status']}"
            f" | {in_flight or '-'} | {ends} | regenerated {status['regenerated']}")


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.client import export_run
    from longweave.store import Store

    async def go() -> int:
        store = Store(settings.mongodb_uri, settings.mongodb_db)
        try:
            return await export_run(store, args.run_id, args.format, args.out)
        finally:
            store.close()

    count = asyncio.run(go())
    print(f"exported {count} records to {args.out}")
    return 0 if count else 1


def _contracts(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.contracts.generate import stale_files, write_contracts

    if args.check:
        stale = stale_files(args.dir)
        for name in stale:
            print(f"stale: {name} (run `longweave contracts`)", file=sys.stderr)
        return 1 if stale else 0
    for path in write_contracts(args.dir):
        print(path)
    return 0


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.demo import run_demo

    return run_demo(settings, count=args.count, out_dir=args.out, timeout_s=args.timeout)


if __name__ == "__main__":
    sys.exit(main())
