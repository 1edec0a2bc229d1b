"""Run the mesh: `serve`, `stack`, `demo`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from longweave.cli.common import out_option, settings

# settings.SERVICE_NAMES, spelled out: importing the settings costs 0.4 s of every start.
SERVICES = ("sampler", "generator", "stitcher", "validator", "judge", "sink")


@click.command(short_help="run some services, or all six, in one process")
@click.argument("services", nargs=-1, required=True,
                type=click.Choice([*SERVICES, "all"]))
def serve(services: tuple[str, ...]) -> int:
    """Run SERVICES (or `all` six) in this process, until interrupted."""
    from longweave.mesh import serve as serve_mesh
    from longweave.settings import SERVICE_NAMES

    names = list(SERVICE_NAMES) if "all" in services else list(dict.fromkeys(services))
    asyncio.run(serve_mesh(settings(), names))
    return 0


@click.command(short_help="local broker, store and model server (up, down, status)")
@click.argument("action", type=click.Choice(["up", "down", "status"]))
@click.option("--no-llm", is_flag=True, help="do not start the local model")
@click.option("--monitoring", is_flag=True,
              help="also start a Prometheus that scrapes the services and loads the alert "
                   "rules (web UI at LONGWEAVE_LOCAL_PROMETHEUS_ADDRESS)")
def stack(action: str, no_llm: bool, monitoring: bool) -> int:
    """Start, stop or show the local servers: the Kafka-protocol broker, the MongoDB-wire
    store and the model server (and Prometheus with --monitoring)."""
    from longweave.stack.local import LocalStack

    local = LocalStack(settings())
    if action == "up":
        local.up(with_llm=not no_llm, with_monitoring=monitoring)
    elif action == "down":
        local.down()
    ready = True
    for name, st in local.status().items():
        state = "ready" if st.ready else ("running" if st.running else "stopped")
        print(f"{name:10} {st.address:28} {state:8} pid={st.pid or '-'}")
        left_out = (no_llm and name == "llm") or (not monitoring and name == "prometheus")
        ready &= bool(st.ready) or action == "down" or left_out
    return 0 if ready or action == "status" else 1


@click.command(short_help="stack up, mesh, a small run, export, report, stop")
@click.option("--count", type=click.IntRange(min=1), default=3, show_default=True,
              help="records per paradigm")
@out_option("the demo's folder", default=Path("out/demo"), show_default=True)
@click.option("--timeout", type=click.FloatRange(min=0), default=480.0, show_default=True,
              help="seconds to wait for each run")
@click.option("--claims", is_flag=True,
              help="only a small claims run (two pairs over two chapters of a book)")
def demo(count: int, out: Path, timeout: float, claims: bool) -> int:
    """Everything on embedded defaults: the local stack, the six services, small runs on
    the local model, their export and report, then stop."""
    from longweave.demo import run_demo

    return run_demo(settings(), count=count, out_dir=out, timeout_s=timeout, claims=claims)
