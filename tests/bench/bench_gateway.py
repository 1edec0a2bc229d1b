"""Gateway benchmark: throughput against a server of known capacity, and behaviour under
injected 429s. Not part of the test run; one command:

    PYTHONPATH=services python tests/bench/bench_gateway.py        (or: make bench)

The scripted test server (`longweave.testing.scripted_llm_server`, a test tool) runs in its
own process on loopback, serving at most C requests at once, each taking L seconds, so the
ideal throughput is C / L requests per second. The gateway (`LLMClient`, metrics on, its
concurrency cap set to C) is driven by 2·C concurrent callers for about `--seconds` of
ideal work per scenario. Reported per scenario: achieved requests/s and its fraction of
C / L, client CPU per call (this process's CPU time / calls), server CPU per call, retries,
and the adaptive concurrency limit (min / mean over the run).

Two reference rows put the figures in context: the gateway over httpx (sharded clients),
and a bare asyncio HTTP loop without the gateway — the ceiling a Python client reaches
against this (single-threaded, Python) server. With all C replies landing together, each
round's replies are processed one after another on both sides, so the gap to the ideal
grows with C × CPU per call and shrinks with L.

Target: ≥ 95% of ideal with no faults; the run with 20% injected 429s completes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "services"))
sys.path.insert(0, str(ROOT / "tests"))

from longweave.llm import LLMClient
from longweave.observability import ServiceMetrics
from longweave.settings import LLMEndpoint
from support.mesh import metric_value

MESSAGES = [{"role": "system", "content": "You write short, friendly greetings."},
            {"role": "user", "content": "Greet a traveller arriving in Nairobi. " * 8}]
TARGET_FRACTION = 0.95


@dataclass
class Scenario:
    name: str
    capacity: int
    latency_s: float
    http_client: str = "native"  # or "httpx", or "bare" (no gateway: the ceiling reference)
    error_rate_429: float = 0.0
    retry_after_s: float = 0.5


@dataclass
class Result:
    scenario: Scenario
    calls: int
    failed: int
    wall_s: float
    client_cpu_s: float
    server_cpu_s: float | None
    retries: float
    limit_min: int
    limit_mean: float

    @property
    def ideal_rps(self) -> float:
        return self.scenario.capacity / self.scenario.latency_s

    @property
    def rps(self) -> float:
        return self.calls / self.wall_s


class ScriptedServer:
    """The scripted test server as a child process, started through its CLI."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "services")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "longweave.testing.scripted_llm_server", "--port", "0",
             "--capacity", str(scenario.capacity), "--latency", str(scenario.latency_s),
             "--error-rate-429", str(scenario.error_rate_429),
             "--retry-after", str(scenario.retry_after_s), "--seed", str(seed)],
            stdout=subprocess.PIPE, env=env, text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # "listening on http://127.0.0.1:PORT"
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"the scripted server did not start: {line!r}")
        self.base_url = line.split()[-1] + "/v1"

    def cpu_seconds(self) -> float | None:
        try:  # utime + stime in clock ticks (Linux)
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class BareClient:
    """No gateway: keep-alive HTTP/1.1 on asyncio streams, a semaphore, json in and out.
    The ceiling a Python client reaches against this server, to compare the gateway with."""

    def __init__(self, base_url: str, capacity: int) -> None:
        host_port = base_url.split("//", 1)[1].split("/", 1)[0]
        self.host, port = host_port.rsplit(":", 1)
        self.port = int(port)
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(capacity)
        self.gate = type("Gate", (), {"controller": type("C", (), {"current": capacity})()})()

    async def chat(self, messages: list[dict[str, str]], max_tokens: int) -> str:
        body = json.dumps({"model": "bench-model", "messages": messages,
                           "max_tokens": max_tokens}).encode()
        async with self.slots:
            reader, writer = (self.idle.pop() if self.idle else
                              await asyncio.open_connection(self.host, self.port))
            writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/json\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\n\r\n" + body)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
            reply = json.loads(await reader.readexactly(length))
            self.idle.append((reader, writer))
        return reply["choices"][0]["message"]["content"]

    async def aclose(self) -> None:
        for _, writer in self.idle:
            writer.close()


async def run(scenario: Scenario, seconds: float, seed: int) -> Result:
    server = ScriptedServer(scenario, seed)
    metrics = ServiceMetrics("bench")
    client: LLMClient | BareClient
    if scenario.http_client == "bare":
        client = BareClient(server.base_url, scenario.capacity)
    else:
        client = LLMClient(
            LLMEndpoint(role="generator", base_url=server.base_url, model="bench-model",
                        max_concurrency=scenario.capacity, http_client=scenario.http_client,
                        timeout_s=30, call_deadline_s=120),
            metrics, rng=random.Random(seed),
        )
    try:
        await asyncio.gather(*(client.chat(MESSAGES, max_tokens=32)
                               for _ in range(scenario.capacity)))  # connect and warm up
        calls = max(scenario.capacity * 4, int(scenario.capacity / scenario.latency_s * seconds))
        retries_before = _retries(metrics)
        limits: list[int] = []
        remaining = calls
        failed = 0

        async def caller() -> None:
            nonlocal remaining, failed
            while remaining > 0:
                remaining -= 1
                try:
                    await client.chat(MESSAGES, max_tokens=32)
                except Exception:  # noqa: BLE001 - counted and reported, never hidden
                    failed += 1

        async def watch_limit() -> None:
            while True:
                limits.append(client.gate.controller.current)
                await asyncio.sleep(0.05)

        watcher = asyncio.create_task(watch_limit())
        server_cpu_before = server.cpu_seconds()
        cpu_before, started = time.process_time(), time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(2 * scenario.capacity)))
        wall = time.perf_counter() - started
        client_cpu = time.process_time() - cpu_before
        server_cpu_after = server.cpu_seconds()
        watcher.cancel()
        server_cpu = (server_cpu_after - server_cpu_before
                      if server_cpu_before is not None and server_cpu_after is not None else None)
        return Result(scenario, calls, failed, wall, client_cpu, server_cpu,
                      _retries(metrics) - retries_before, min(limits),
                      sum(limits) / len(limits))
    finally:
        await client.aclose()
        server.stop()


def _retries(metrics: ServiceMetrics) -> float:
    return metric_value(metrics.exposition().decode(), "longweave_llm_retries_total")


def render(results: list[Result]) -> str:
    header = (f"{'scenario':37} {'C':>4} {'L(s)':>5} {'ideal/s':>8} {'achieved/s':>10} "
              f"{'of ideal':>8} {'client CPU/call':>15} {'server CPU/call':>15} "
              f"{'calls':>6} {'failed':>6} {'retries':>7} {'limit min/mean':>14}")
    lines = [header, "-" * len(header)]
    for r in results:
        server = f"{r.server_cpu_s / r.calls * 1e6:.0f} µs" if r.server_cpu_s is not None else "-"
        lines.append(
            f"{r.scenario.name:37} {r.scenario.capacity:>4} {r.scenario.latency_s:>5g} "
            f"{r.ideal_rps:>8.0f} {r.rps:>10.0f} {r.rps / r.ideal_rps:>8.1%} "
            f"{r.client_cpu_s / r.calls * 1e6:>12.0f} µs {server:>15} {r.calls:>6} "
            f"{r.failed:>6} {r.retries:>7.0f} {r.limit_min:>6}/{r.limit_mean:<7.1f}")
    return "\n".join(lines)


def verdict(results: list[Result]) -> tuple[bool, list[str]]:
    notes, ok = [], True
    for r in results:
        if r.scenario.error_rate_429 == 0 and r.scenario.http_client == "native":
            met = r.rps / r.ideal_rps >= TARGET_FRACTION
            ok &= met
            notes.append(f"{r.scenario.name}: {r.rps / r.ideal_rps:.1%} of ideal "
                         f"(target ≥ {TARGET_FRACTION:.0%}) — {'met' if met else 'MISSED'}")
        if r.scenario.error_rate_429 > 0:
            done = r.failed == 0
            ok &= done
            notes.append(f"{r.scenario.name}: {r.calls - r.failed}/{r.calls} calls completed "
                         f"with {r.retries:.0f} retries — {'completed' if done else 'FAILED'}")
    return ok, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--capacity", type=int, default=64, help="C: server capacity")
    parser.add_argument("--latency", type=float, default=0.1, help="L: seconds per request")
    parser.add_argument("--seconds", type=float, default=3.0,
                        help="ideal duration of each scenario")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-comparisons", action="store_true",
                        help="skip the reference runs (gateway over httpx; bare asyncio)")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a target is missed (the CPU may be shared: noisy)")
    args = parser.parse_args(argv)
    c, lat = args.capacity, args.latency
    scenarios = [Scenario("no faults: gateway (native HTTP)", c, lat)]
    if not args.skip_comparisons:
        scenarios += [Scenario("no faults: gateway over httpx", c, lat, http_client="httpx"),
                      Scenario("no faults: bare asyncio, no gateway", c, lat,
                               http_client="bare")]
    scenarios.append(Scenario("20% injected 429 (Retry-After 0.5s)", c, lat,
                              error_rate_429=0.2, retry_after_s=0.5))
    results = []
    for scenario in scenarios:
        print(f"running: {scenario.name} …", file=sys.stderr, flush=True)
        results.append(asyncio.run(run(scenario, args.seconds, args.seed)))
    print(render(results))
    ok, notes = verdict(results)
    print()
    for note in notes:
        print(note)
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    raise SystemExit(main())
