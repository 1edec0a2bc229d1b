"""Mesh benchmark: how close the whole mesh comes to the throughput its LLM endpoint allows,
and what each record costs on the way. Not part of the test run; one command:

    PYTHONPATH=services python tests/bench/bench_mesh.py            (or: make bench)
    make bench BENCH_ARGS="--records 50 --latency 0.2"               (options through make)
    python tests/bench/bench_mesh.py --records 50 --latency 0.2     (a quick look)
    python tests/bench/bench_mesh.py --split --generators 2         (P generator processes)
    python tests/bench/bench_mesh.py --prior-runs 5 --compare-filled
    python tests/bench/bench_mesh.py --scaling                      (or: make bench-scaling)

Everything runs on 127.0.0.1, in a temporary home, and is stopped at the end (Ctrl-C too):

- the local broker (noida-db) and store (SecantusDB) through `LocalStack`;
- the scripted OpenAI-compatible TEST server (`longweave.testing.scripted_llm_server`, a
  test tool, not a model) in its own process, serving at most C requests at once, each
  taking L seconds. Its script makes every record pass on its first attempt: segment replies
  are seeded filler fitted to the segment schema ("fill": "varied": different for every
  request, sized for the token window, loop-free), and the judge scores 5 on every axis;
- the mesh: one `longweave serve all` process, or with `--split` P processes of
  `longweave serve generator` plus one of `longweave serve sampler stitcher validator judge
  sink`, with their own metrics ports, one topic prefix and one database per invocation.

After a small warm-up run (and `--prior-runs` M earlier runs of the same size, so the store
already holds data), the measured run publishes R records of N segments × K turns and
reports:

- records/s against the ideal C / (L × (N + 1)): N segment calls and one judge call are
  what a record needs; any other call the mesh makes (running summaries) counts against it;
  LLM requests/s against the ideal C / L;
- per record, the time from the sample's creation to its acceptance, split into time inside
  LLM calls (their `latency_s` in `llm_calls`, as the gateway measures them: its own queue,
  cache lookup and the server's queue included) and time waiting outside them;
- CPU ms per LLM request (utime + stime from /proc over the measured run, child processes
  included) of the services, the broker and the store; the test server's for reference;
- Kafka messages per record (`longweave_published_total` of every service) and MongoDB
  operations per record, twice: as the services count them
  (`longweave_store_operations_total`, with the most frequent service/operation/collection;
  n/a when not exposed) and as the store counts them (serverStatus opcounters minus this
  script's own queries; n/a when the store does not answer serverStatus);
- side by side, a bare asyncio loop making the same calls (per record N sequential segment
  calls then one judge call, at most C in flight) to the same server, in two schedules:
  "records first" (C workers, each finishing a record before it takes the next: a record
  under way goes first, the mesh's own policy, whose ceiling is ⌈R/C⌉ rounds) and "calls
  in arrival order" (every record started at once, each call queueing for one of C slots
  first come first served: new records' first calls go ahead of records under way, the
  highest throughput and the longest time per record).

`--scaling` instead runs R=10 records for N = 1, 4, 16, 64 (small latency) and prints prompt
tokens and wall time per record, and both per segment: prompt cost should grow linearly
with N (running summaries), not quadratically.

The benchmark measures, it does not tune: settings come from the environment (LONGWEAVE_*)
or `--env KEY=VALUE`, as the services read them. It exits non-zero when a record is lost
(not accepted) or a run does not finish in time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "services"))
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
import pymongo  # noqa: E402

from longweave.catalog import load_catalog, scenario_fields  # noqa: E402
from longweave.client import build_request, publish_request  # noqa: E402
from longweave.contracts import SampleSpec  # noqa: E402
from longweave.contracts.records import Sample  # noqa: E402
from longweave.judge.logic import judge_schema, load_rubric  # noqa: E402
from longweave.llm.native_http import NativeTransport  # noqa: E402
from longweave.llm.structured import with_structured_output  # noqa: E402
from longweave.noise import NOISE_INSTRUCTIONS  # noqa: E402
from longweave.paradigms import PARADIGMS  # noqa: E402
from longweave.paradigms.conversation.logic import (  # noqa: E402
    chars_per_exchange,
    exchanges_to_turns,
    segment_max_tokens,
    segment_prompt_context,
    segment_schema,
)
from longweave.paradigms.conversation.params import ConversationParams  # noqa: E402
from longweave.prompts import PromptLibrary  # noqa: E402
from longweave.settings import SERVICE_NAMES, Settings  # noqa: E402
from longweave.stack.local import LocalStack, free_loopback_ports  # noqa: E402
from longweave.store import FINISHED_RUN_STATUSES  # noqa: E402
from support.mesh import metric_value  # noqa: E402
from support.scripted import SUMMARY_RULE, judge_reply  # noqa: E402

# ~100 server tokens (= words) per exchange: the varied filler fills the segment schema's
# string bounds, which come out at ~0.8-1.0 × target words, inside the default window.
TOKENS_PER_EXCHANGE = 100
SCALING_SEGMENTS = (1, 4, 16, 64)
STORE_OPS_METRIC = "longweave_store_operations_total"
CPU_GROUPS = {"services": "services (bare loop: its client)", "broker": "broker (noida-db)",
              "store": "store (SecantusDB)", "llm server": "LLM test server (reference)"}
BARE_SCHEDULES = {"records": "bare loop, records first", "calls": "bare loop, calls FIFO"}
CLK_TCK = os.sysconf("SC_CLK_TCK")
POLL_S = 0.25


class BenchError(RuntimeError):
    """The benchmark could not measure what it should (a run failed, lost records, ...)."""


# -- workload ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    records: int
    segments: int
    turns: int

    @property
    def target_tokens(self) -> int:
        return TOKENS_PER_EXCHANGE * self.segments * self.turns

    @property
    def needed_calls(self) -> int:
        """LLM calls one record needs: N segments and one judgment."""
        return self.segments + 1

    def request_fields(self, run_id: str) -> dict[str, Any]:
        return {
            "run_id": run_id, "count": self.records, "paradigm": "conversation",
            "params": {"segments": self.segments, "turns_per_segment": self.turns,
                       "target_tokens": self.target_tokens},
            # Constraint layers carry verifiable specs that filler text cannot follow.
            "complexity": 0,
            "seed": 0,
        }


def script_rules() -> list[dict[str, Any]]:
    """The test server's script: judge 5/5, canned running summaries, varied segments.
    Rules match the prompts' system messages (prompts/conversation/*.j2)."""
    return [
        {"name": "judge", "field": "system", "match": "strict reviewer of synthetic training",
         "replies": [{"content": judge_reply(5)}]},
        {"name": "summary", "field": "system", "match": "running summaries",
         "replies": SUMMARY_RULE["replies"]},
        {"name": "segment", "field": "system", "match": "multi-turn conversations",
         "replies": [{"fill": "varied"}]},
    ]


# -- processes --------------------------------------------------------------------------------


def cpu_seconds(root: int) -> float:
    """utime + stime of `root` and its live descendants, plus the children it has reaped."""
    stats: dict[int, list[str]] = {}
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))) is not None:
            stats[int(entry.name)] = fields
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    if root not in stats:
        return 0.0
    # Fields after "comm": [0] state, [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime.
    ticks = int(stats[root][13]) + int(stats[root][14])
    pending = [root]
    while pending:
        pid = pending.pop()
        ticks += int(stats[pid][11]) + int(stats[pid][12])
        pending += [c for c in children.get(pid, []) if c in stats]
    return ticks / CLK_TCK


def _stat_fields(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def stop_processes(processes: list[subprocess.Popen[bytes]], timeout_s: float = 30.0) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # services drain in-flight work on SIGTERM
    deadline = time.monotonic() + timeout_s
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class ScriptedServer:
    """The scripted test server in its own process, on a given loopback port."""

    def __init__(self, home: Path, port: int, capacity: int, latency_s: float,
                 seed: int) -> None:
        rules = home / "rules.json"
        rules.write_text(json.dumps(script_rules()))
        self.log = home / "scripted-llm-server.log"
        self.url = f"http://127.0.0.1:{port}"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "longweave.testing.scripted_llm_server",
                 "--host", "127.0.0.1", "--port", str(port), "--capacity", str(capacity),
                 "--latency", str(latency_s), "--seed", str(seed), "--rules", str(rules)],
                stdout=log, stderr=subprocess.STDOUT, env=child_env({}),
                start_new_session=True)  # stopped by us, not by the terminal's Ctrl-C
        self._wait_ready()

    def _wait_ready(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise BenchError(f"the scripted server did not start:\n{log_tail(self.log)}")

    async def stats(self, http: httpx.AsyncClient) -> dict[str, Any]:
        return (await http.get(f"{self.url}/_control/stats", timeout=10)).json()

    def stop(self) -> None:
        stop_processes([self.process], 10)


@dataclass
class ServiceProcess:
    name: str
    ports: dict[str, int]  # service -> its metrics port
    process: subprocess.Popen[bytes]
    log: Path


def child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, **extra}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "services"),
                                                      env.get("PYTHONPATH")]))
    return env


def mesh_layout(split: bool, generators: int) -> list[tuple[str, list[str]]]:
    """(process name, services) of each mesh process."""
    if not split:
        return [("all", list(SERVICE_NAMES))]
    rest = [name for name in SERVICE_NAMES if name != "generator"]
    return [*((f"generator-{i + 1}", ["generator"]) for i in range(generators)),
            ("rest", rest)]


def start_mesh(layout: list[tuple[str, list[str]]], env: dict[str, str], home: Path
               ) -> list[ServiceProcess]:
    ports = iter(free_loopback_ports(sum(len(services) for _, services in layout)))
    processes = []
    try:
        for name, services in layout:
            own = {service: next(ports) for service in services}
            port_env = {f"LONGWEAVE_PORTS__{s.upper()}": str(p) for s, p in own.items()}
            log = home / f"mesh-{name}.log"
            args = ["all"] if len(services) == len(SERVICE_NAMES) else services
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "longweave", "serve", *args],
                    env=child_env({**env, **port_env}), stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True)  # stopped (drained) by us, not by Ctrl-C
            processes.append(ServiceProcess(name, own, process, log))
        wait_healthy(processes)
    except BaseException:
        stop_processes([p.process for p in processes])
        raise
    return processes


def wait_healthy(processes: list[ServiceProcess], timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    pending = {(p.name, port) for p in processes for port in p.ports.values()}
    while pending:
        for p in processes:
            if p.process.poll() is not None:
                raise BenchError(f"mesh process {p.name} exited at start-up:\n{log_tail(p.log)}")
        if time.monotonic() > deadline:
            raise BenchError(f"mesh not healthy after {timeout_s}s: {sorted(pending)}")
        for name, port in sorted(pending):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    pending.discard((name, port))
        time.sleep(0.3)


def settings_from(env: dict[str, str]) -> Settings:
    """Settings as the service processes will read them from `env`."""
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        return Settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)


# -- the bench: stack, server and mesh ------------------------------------------------------


class Bench:
    """Starts everything on enter, stops everything on exit (also on Ctrl-C)."""

    def __init__(self, args: argparse.Namespace, home: Path) -> None:
        self.args = args
        self.home = home
        self.tag = uuid.uuid4().hex[:8]
        self.stack: LocalStack | None = None
        self.server: ScriptedServer | None = None
        self.mesh: list[ServiceProcess] = []

    def __enter__(self) -> Bench:
        try:
            self._start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _start(self) -> None:
        args = self.args
        kafka_port, mongodb_port, llm_port = free_loopback_ports(3)
        self.env = {
            "LONGWEAVE_KAFKA_BOOTSTRAP": f"127.0.0.1:{kafka_port}",
            "LONGWEAVE_MONGODB_URI": f"mongodb://127.0.0.1:{mongodb_port}/?directConnection=true",
            "LONGWEAVE_LLM_BASE_URL": f"http://127.0.0.1:{llm_port}/v1",
            "LONGWEAVE_LLM_MAX_CONCURRENCY": str(args.capacity),
            "LONGWEAVE_TOPIC_PREFIX": f"bench{self.tag}",
            "LONGWEAVE_MONGODB_DB": f"bench_{self.tag}",
            "LONGWEAVE_METRICS_HOST": "127.0.0.1",
            "LONGWEAVE_HOME": str(self.home),
            **dict(item.split("=", 1) for item in args.env),
        }
        self.settings = settings_from(child_env(self.env))
        progress("starting the broker and the store (LocalStack) …")
        self.stack = LocalStack(self.settings, home=self.home)
        self.stack.up(only=["kafka", "mongodb"])
        progress(f"starting the scripted LLM test server (C={args.capacity}, L={args.latency}s)")
        self.server = ScriptedServer(self.home, llm_port, args.capacity, args.latency, args.seed)
        layout = mesh_layout(args.split, args.generators)
        progress(f"starting the mesh: {', '.join(n for n, _ in layout)} …")
        self.mesh = start_mesh(layout, self.env, self.home)

    def __exit__(self, *_exc: object) -> None:
        stop_processes([p.process for p in self.mesh])
        if self.server is not None:
            self.server.stop()
        if self.stack is not None:
            self.stack.down()

    def pid_of(self, component: str) -> int:
        assert self.stack is not None
        return int(self.stack.pid_file(component).read_text().strip())

    def metrics_ports(self) -> list[tuple[str, int]]:
        """(service, port) of every service's /metrics endpoint, in every process."""
        return [item for p in self.mesh for item in p.ports.items()]

    def check_alive(self) -> None:
        for p in self.mesh:
            if p.process.poll() is not None:
                raise BenchError(f"mesh process {p.name} died:\n{log_tail(p.log)}")

    def log_tails(self) -> str:
        return "\n".join(f"--- {p.name}\n{log_tail(p.log, 15)}" for p in self.mesh)


def progress(message: str) -> None:
    print(f"· {message}", file=sys.stderr, flush=True)


# -- measuring --------------------------------------------------------------------------------


@dataclass
class Snapshot:
    cpu: dict[str, float]
    llm_requests: int
    unmatched: int
    published: float
    store_ops_metric: float | None
    store_ops_by: Counter[str]  # "service operation collection" -> commands
    opcounters: int | None


@dataclass
class Probe:
    """Reads every counter the report needs, without touching the mesh's own work."""

    bench: Bench
    http: httpx.AsyncClient
    mongo: pymongo.MongoClient[dict[str, Any]]
    own_store_ops: int = 0  # queries of this script, subtracted from the store's opcounters
    status_cost: int = 0  # what one serverStatus adds to the opcounters itself

    def calibrate(self) -> None:
        first, second = self.opcounters(), self.opcounters()
        if first is not None and second is not None:
            self.status_cost = second - first

    def opcounters(self) -> int | None:
        try:
            counters = self.mongo.admin.command("serverStatus")["opcounters"]
        except (pymongo.errors.PyMongoError, KeyError):
            return None
        return sum(int(v) for v in counters.values())

    async def expositions(self) -> dict[str, str]:
        """Each service's /metrics text (the services of all processes together)."""
        ports = self.bench.metrics_ports()
        replies = await asyncio.gather(*(self.http.get(f"http://127.0.0.1:{port}/metrics")
                                         for _, port in ports))
        texts: dict[str, str] = {}
        for (service, _), reply in zip(ports, replies, strict=True):
            texts[service] = texts.get(service, "") + reply.text
        return texts

    async def take(self) -> Snapshot:
        bench = self.bench
        assert bench.server is not None
        texts = await self.expositions()
        stats = await bench.server.stats(self.http)
        by = Counter({f"{service} {op} {coll}": n for service, text in texts.items()
                      for (op, coll), n in store_operations(text).items()})
        store_ops = (sum(by.values())
                     if any(STORE_OPS_METRIC in t for t in texts.values()) else None)
        cpu = {
            "services": sum(cpu_seconds(p.process.pid) for p in bench.mesh),
            "broker": cpu_seconds(bench.pid_of("kafka")),
            "store": cpu_seconds(bench.pid_of("mongodb")),
            "llm server": cpu_seconds(bench.server.process.pid),
        }
        return Snapshot(
            cpu=cpu, llm_requests=stats["requests_total"],
            unmatched=stats["unmatched"],
            published=sum(metric_value(t, "longweave_published_total")
                          for t in texts.values()),
            store_ops_metric=store_ops, store_ops_by=by, opcounters=self.opcounters(),
        )

    def store_ops(self, before: Snapshot, after: Snapshot) -> tuple[float | None, float | None]:
        """(operations the services count, operations the store counts) over a run; the
        store's count leaves out this script's own queries."""
        counted = server = None
        if before.store_ops_metric is not None and after.store_ops_metric is not None:
            counted = after.store_ops_metric - before.store_ops_metric
        if before.opcounters is not None and after.opcounters is not None:
            server = after.opcounters - before.opcounters - self.status_cost - self.own_store_ops
        return counted, server


def store_operations(exposition: str) -> Counter[tuple[str, str]]:
    """(operation, collection) -> count of the store operations metric in one exposition."""
    counts: Counter[tuple[str, str]] = Counter()
    for line in exposition.splitlines():
        if line.startswith(STORE_OPS_METRIC + "{"):
            labels, value = line[len(STORE_OPS_METRIC) + 1:].rsplit("} ", 1)
            pairs = dict(re.findall(r'(\w+)="([^"]*)"', labels))
            counts[(pairs.get("operation", "?"), pairs.get("collection", "?"))] += float(value)
    return counts


@dataclass
class Distribution:
    mean: float
    p50: float
    p95: float

    @classmethod
    def of(cls, values: list[float]) -> Distribution:
        if not values:
            return cls(float("nan"), float("nan"), float("nan"))
        ordered = sorted(values)
        return cls(statistics.fmean(ordered), percentile(ordered, 50), percentile(ordered, 95))


def percentile(ordered: list[float], p: float) -> float:
    index = (len(ordered) - 1) * p / 100
    low, high = int(index), min(int(index) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


@dataclass
class Result:
    """One measured run of the mesh, or of the bare loop (no store, no broker)."""

    label: str
    workload: Workload
    wall_s: float
    llm_requests: int
    cpu_s: dict[str, float]
    accepted: int = 0
    first_attempt: int = 0
    dead_lettered: int = 0
    kafka_messages: float | None = None
    store_ops_metric: float | None = None  # longweave_store_operations_total, if exposed
    store_ops_server: float | None = None  # the store's serverStatus opcounters
    store_ops_by: Counter[str] = field(default_factory=Counter)
    record_wall: Distribution | None = None
    record_llm: Distribution | None = None
    record_wait: Distribution | None = None
    prompt_tokens: int = 0
    unmatched: int = 0
    rejections: Counter[str] = field(default_factory=Counter)

    @property
    def records_per_s(self) -> float:
        return self.workload.records / self.wall_s

    @property
    def requests_per_s(self) -> float:
        return self.llm_requests / self.wall_s

    def cpu_ms_per_request(self, group: str) -> float | None:
        if group not in self.cpu_s or not self.llm_requests:
            return None
        return self.cpu_s[group] * 1000 / self.llm_requests


async def publish_and_wait(bench: Bench, probe: Probe, workload: Workload, run_id: str,
                           timeout_s: float) -> float:
    """Publish the run and wait until it finished; returns its wall time, from the broker's
    acknowledgement of the request to the run's completion as the sink records it."""
    await publish_request(bench.settings, build_request(workload.request_fields(run_id)))
    published_at = datetime.now(UTC)  # after: the client's connection set-up is not the mesh's
    runs = probe.mongo[bench.settings.mongodb_db].runs
    deadline = time.monotonic() + timeout_s
    while True:
        run = await asyncio.to_thread(runs.find_one, {"_id": run_id},
                                      {"status": 1, "completed_at": 1})
        probe.own_store_ops += 1
        if run is not None and run.get("status") in FINISHED_RUN_STATUSES:
            break
        bench.check_alive()
        if time.monotonic() > deadline:
            raise BenchError(f"run {run_id} not finished after {timeout_s:.0f}s "
                             f"(status {run and run.get('status')})\n{bench.log_tails()}")
        await asyncio.sleep(POLL_S)
    if run["status"] != "complete":
        raise BenchError(f"run {run_id} ended {run['status']}\n{bench.log_tails()}")
    completed_at = run["completed_at"].replace(tzinfo=UTC)
    return (completed_at - published_at).total_seconds()


async def measure_run(bench: Bench, probe: Probe, workload: Workload, label: str,
                      timeout_s: float) -> Result:
    # Labels are unique within an invocation and its database is fresh, so a fixed run id
    # per label keeps sample ids, decoding seeds and hence the scripted text reproducible.
    run_id = "bench-" + re.sub(r"[^A-Za-z0-9._:-]+", "-", label)  # run ids allow only these
    probe.own_store_ops = 0
    before = await probe.take()
    wall = await publish_and_wait(bench, probe, workload, run_id, timeout_s)
    after = await probe.take()
    store_ops_metric, store_ops_server = probe.store_ops(before, after)
    result = Result(
        label=label, workload=workload, wall_s=wall,
        llm_requests=after.llm_requests - before.llm_requests,
        cpu_s={k: after.cpu[k] - before.cpu[k] for k in after.cpu},
        kafka_messages=after.published - before.published,
        store_ops_metric=store_ops_metric, store_ops_server=store_ops_server,
        unmatched=after.unmatched - before.unmatched,
        store_ops_by=after.store_ops_by - before.store_ops_by,
    )
    await asyncio.to_thread(read_outcomes, probe.mongo[bench.settings.mongodb_db], run_id,
                            result)
    return result


def read_outcomes(db: Any, run_id: str, result: Result) -> None:
    """Per-record figures from the store: outcomes, times, LLM latencies and tokens."""
    llm_s: dict[str, float] = {}
    for call in db.llm_calls.find({"run_id": run_id},
                                  {"sample_id": 1, "latency_s": 1, "usage": 1}):
        llm_s[call["sample_id"]] = llm_s.get(call["sample_id"], 0.0) + call["latency_s"]
        result.prompt_tokens += int((call.get("usage") or {}).get("prompt_tokens", 0))
    walls, inside, waits = [], [], []
    for record in db.records.find({"run_id": run_id}, {"timings": 1, "attempts": 1}):
        result.accepted += 1
        result.first_attempt += record["attempts"] == 1
        timings = record["timings"]
        wall = (timings["accepted_at"] - timings["created_at"]).total_seconds()
        walls.append(wall)
        inside.append(llm_s.get(record["_id"], 0.0))
        waits.append(wall - inside[-1])
    result.record_wall, result.record_llm = Distribution.of(walls), Distribution.of(inside)
    result.record_wait = Distribution.of(waits)
    result.dead_lettered = db.samples.count_documents({"run_id": run_id,
                                                      "stage": "dead_lettered"})
    for draft in db.drafts.find({"run_id": run_id, "rejected": {"$exists": True}},
                                {"rejected": 1}):
        for reason in draft["rejected"]["reasons"]:
            result.rejections[reason.split(":")[0]] += 1


def check_complete(result: Result) -> None:
    """Fail loudly when records were lost: every requested record must be accepted."""
    if result.accepted != result.workload.records:
        reasons = ", ".join(f"{k} ×{n}" for k, n in result.rejections.most_common(5))
        raise BenchError(
            f"{result.label}: {result.accepted}/{result.workload.records} records accepted, "
            f"{result.dead_lettered} dead-lettered (rejections: {reasons or 'none'})")


# -- the bare asyncio loop: the same calls without the mesh ------------------------------------


class BareLoop:
    """Per record: N sequential segment calls, then one judge call, over plain HTTP
    (the project's native client), with the bodies the mesh sends; at most C in flight."""

    def __init__(self, base_url: str, workload: Workload, capacity: int, schedule: str
                 ) -> None:
        self.transport = NativeTransport(base_url, {}, max_idle=capacity)
        self.workload = workload
        self.capacity = capacity
        self.schedule = schedule
        self.slots: asyncio.Semaphore | None = None  # "calls": FIFO over C slots
        self.prompts = PromptLibrary()
        self.scenarios = [scenario_fields(s) for s in load_catalog()]
        self.params = ConversationParams(segments=workload.segments,
                                         turns_per_segment=workload.turns,
                                         target_tokens=workload.target_tokens)
        self.spec = SampleSpec(paradigm="conversation", params=self.params.model_dump(),
                               units=workload.segments)
        self.rubric = load_rubric(PARADIGMS["conversation"].rubric_path)

    async def run(self) -> None:
        if self.schedule == "calls":
            self.slots = asyncio.Semaphore(self.capacity)  # waiters are served in order
            await asyncio.gather(*(self.record(i) for i in range(self.workload.records)))
        else:
            records = iter(range(self.workload.records))

            async def worker() -> None:
                for index in records:  # one shared iterator: each record is taken once
                    await self.record(index)

            await asyncio.gather(*(worker() for _ in range(self.capacity)))
        await self.transport.aclose()

    async def record(self, index: int) -> None:
        scenario = self.scenarios[index % len(self.scenarios)]
        sample = Sample(id=f"bench-{index:06d}", run_id="bench", index=index,
                        scenario_id=scenario["scenario_id"], scenario=scenario, sampled={},
                        combination_id="-", spec=self.spec,
                        noise=list(NOISE_INSTRUCTIONS.values())[:2], created_at=datetime.now(UTC))
        turns: list[dict[str, str]] = []
        schema = segment_schema(self.workload.turns, chars_per_exchange(self.params))
        for segment in range(self.workload.segments):
            prompt = self.prompts.render("conversation/segment.j2", **segment_prompt_context(
                sample, self.params, segment, "", []))
            parsed = await self.call(prompt.messages, schema, "segment",
                                     segment_max_tokens(self.params), seed=index * 1000 + segment)
            turns += [t.model_dump() for t in exchanges_to_turns(parsed)]
        prompt = self.prompts.render("conversation/judge.j2", scenario=scenario,
                                     axes=self.rubric.descriptions(), turns=turns)
        axes = self.rubric.axis_names
        await self.call(prompt.messages, judge_schema(axes), "judgment",
                        160 * len(axes) + 64, seed=index)  # the judge service's max_tokens

    async def call(self, messages: list[dict[str, str]], schema: dict[str, Any], name: str,
                   max_tokens: int, seed: int) -> Any:
        body = with_structured_output({"model": "bench", "messages": messages,
                                       "max_tokens": max_tokens, "seed": seed},
                                      schema, name, "json_schema")
        async with self.slots or contextlib.nullcontext():
            reply = await self.transport.post("/chat/completions", json.dumps(body).encode(),
                                              60)
        if reply.status != 200:
            raise BenchError(f"bare loop: HTTP {reply.status}: {reply.body[:200]!r}")
        return json.loads(json.loads(reply.body)["choices"][0]["message"]["content"])


async def measure_bare(bench: Bench, probe: Probe, workload: Workload, schedule: str
                       ) -> Result:
    assert bench.server is not None
    before = await bench.server.stats(probe.http)
    loop = BareLoop(bench.settings.llm_base_url, workload, bench.args.capacity, schedule)
    server_cpu = cpu_seconds(bench.server.process.pid)
    cpu, started = time.process_time(), time.monotonic()
    await loop.run()
    wall, cpu = time.monotonic() - started, time.process_time() - cpu
    after = await bench.server.stats(probe.http)
    return Result(
        label=BARE_SCHEDULES[schedule], workload=workload, wall_s=wall,
        llm_requests=after["requests_total"] - before["requests_total"],
        cpu_s={"services": cpu,
               "llm server": cpu_seconds(bench.server.process.pid) - server_cpu},
        accepted=workload.records,
    )


# -- report ---------------------------------------------------------------------------------


def fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None else f"{value:{spec}}"


def ideal_records_per_s(args: argparse.Namespace, workload: Workload) -> float:
    return args.capacity / (args.latency * workload.needed_calls)


# A row: (name, shown text, the number a comparison uses or None).
Row = tuple[str, str, float | None]


def summary_rows(args: argparse.Namespace, r: Result) -> list[Row]:
    w, bare = r.workload, r.label in BARE_SCHEDULES.values()
    ideal_records, ideal_requests = ideal_records_per_s(args, w), args.capacity / args.latency
    per_record = (lambda v: None if v is None else v / w.records)  # noqa: E731
    cpu_total = (sum(r.cpu_s.get(k, 0.0) for k in ("services", "broker", "store")) * 1000
                 / r.llm_requests if r.llm_requests else None)

    def cpu(group: str) -> Row:
        value = r.cpu_ms_per_request(group)
        return (f"  {CPU_GROUPS[group]}", fmt(value, ".2f"), value)

    return [
        ("records/s (% of ideal)",
         f"{r.records_per_s:.2f} ({r.records_per_s / ideal_records:.1%})", r.records_per_s),
        ("LLM requests/s (% of ideal)",
         f"{r.requests_per_s:.1f} ({r.requests_per_s / ideal_requests:.1%})", r.requests_per_s),
        ("LLM requests per record", f"{r.llm_requests / w.records:.2f}",
         r.llm_requests / w.records),
        ("wall time (s)", f"{r.wall_s:.1f}", r.wall_s),
        ("accepted on 1st attempt", "-" if bare else f"{r.first_attempt}/{w.records}", None),
        ("CPU ms per LLM request:", "", None),
        cpu("services"), cpu("broker"), cpu("store"),
        ("  total", fmt(cpu_total, ".2f"), cpu_total),
        cpu("llm server"),
        ("Kafka messages per record", fmt(per_record(r.kafka_messages), ".1f"),
         per_record(r.kafka_messages)),
        ("MongoDB operations per record:", "", None),
        ("  counted by the services", fmt(per_record(r.store_ops_metric), ".1f"),
         per_record(r.store_ops_metric)),
        ("  counted by the store", fmt(per_record(r.store_ops_server), ".1f"),
         per_record(r.store_ops_server)),
    ]


def render_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(row, widths, strict=True)))

    return "\n".join([line(header), "-" * (sum(widths) + 2 * (len(widths) - 1)),
                      *(line(row) for row in rows)])


def change(before: float | None, after: float | None) -> str:
    return "" if before in (None, 0) or after is None else f"{(after - before) / before:+.1%}"


def report(args: argparse.Namespace, workload: Workload, results: list[Result],
           compared: bool) -> str:
    w = workload
    layout = ("serve all (1 process)" if not args.split else
              f"split: {args.generators} generator process(es) + 1 for the other services")
    out = [
        f"Mesh benchmark: R={w.records} records × N={w.segments} segments × K={w.turns} turns "
        f"(target {w.target_tokens} tokens); scripted LLM test server C={args.capacity}, "
        f"L={args.latency:g} s; mesh: {layout}; prior runs: {args.prior_runs}",
        f"ideal: {ideal_records_per_s(args, w):.2f} records/s = C / (L × (N+1)), "
        f"{args.capacity / args.latency:.1f} LLM requests/s = C / L",
        "",
    ]
    columns = [summary_rows(args, r) for r in results]
    header = ["", *(r.label for r in results)]
    rows = [[name, *(col[i][1] for col in columns)] for i, (name, _, _) in enumerate(columns[0])]
    if compared:  # fresh, filled, then their change, before the bare loop's column
        header.insert(3, "change")
        for row, fresh, filled in zip(rows, columns[0], columns[1], strict=True):
            row.insert(3, change(fresh[2], filled[2]))
    out += [render_table(header, rows), ""]
    mesh_results = [r for r in results if r.record_wall is not None]
    out += [render_table(
        ["seconds per record", "mean", "p50", "p95"],
        [[f"{r.label}: {name}", fmt(d.mean, ".2f"), fmt(d.p50, ".2f"), fmt(d.p95, ".2f")]
         for r in mesh_results
         for name, d in (("created → accepted", r.record_wall),
                         ("  inside LLM calls", r.record_llm),
                         ("  waiting outside them", r.record_wait)) if d is not None]), ""]
    out += notes(args, mesh_results)
    rounds = -(-workload.records // args.capacity)  # the last round of C records may be partial
    out.append(f"{BARE_SCHEDULES['records']}: R records on C workers take ⌈R/C⌉ = {rounds} "
               f"rounds of N+1 calls, so it can reach at most "
               f"{workload.records / (args.capacity * rounds):.1%} of the ideal; so can any "
               "schedule that serves records under way first, the mesh's included, when every "
               "call takes L. "
               f"{BARE_SCHEDULES['calls']}: every record's first call queues ahead of the "
               "calls of records under way.")
    out.append(f"MongoDB operations counted by the services: {STORE_OPS_METRIC} (n/a when the "
               "services do not expose it); by the store: its serverStatus opcounters, minus "
               "this script's own queries (n/a when the store does not answer serverStatus).")
    return "\n".join(out)


def notes(args: argparse.Namespace, results: list[Result]) -> list[str]:
    lines = []
    for r in results:
        w = r.workload
        extra = r.llm_requests / w.records - w.needed_calls
        lines.append(
            f"{r.label}: {r.accepted}/{w.records} accepted, {r.first_attempt} on the first "
            f"attempt, {r.dead_lettered} dead-lettered; {extra:+.2f} LLM calls per record "
            f"beyond the N+1 needed; LLM service time per record "
            f"{r.llm_requests / w.records * args.latency:.2f} s (calls × L)")
        if r.store_ops_by:
            top = ", ".join(f"{key} {n / w.records:.1f}"
                            for key, n in r.store_ops_by.most_common(8))
            lines.append(f"  MongoDB operations per record, most frequent (service operation "
                         f"collection): {top}")
        if r.rejections:
            lines.append(f"  rejected drafts: {dict(r.rejections.most_common(5))}")
        if r.unmatched:
            lines.append(f"  {r.unmatched} LLM requests matched no rule of the script")
    return lines


# -- modes ---------------------------------------------------------------------------------


def run_timeout(args: argparse.Namespace, workload: Workload) -> float:
    """Generous, but bounded: 20 × the ideal time, plus time for each record's N sequential
    segment hops through the mesh (about a second each on a busy 2-core machine)."""
    ideal_s = workload.records / ideal_records_per_s(args, workload)
    return args.timeout or 120 + 20 * ideal_s + 10 * workload.segments


async def throughput_mode(bench: Bench, probe: Probe) -> str:
    args = bench.args
    workload = Workload(args.records, args.segments, args.turns)
    await warm_up(bench, probe, Workload(args.warmup, args.segments, args.turns))
    results = []
    if args.compare_filled:
        results.append(await measured(bench, probe, workload, "mesh, fresh store"))
    for i in range(args.prior_runs):
        progress(f"prior run {i + 1}/{args.prior_runs} ({workload.records} records) …")
        check_complete(await measure_run(bench, probe, workload, f"prior-{i + 1}",
                                         run_timeout(args, workload)))
    label = f"mesh after {args.prior_runs} runs" if args.prior_runs else "mesh"
    results.append(await measured(bench, probe, workload, label))
    for schedule, label in BARE_SCHEDULES.items():
        progress(f"{label} ({workload.records} records) …")
        results.append(await measure_bare(bench, probe, workload, schedule))
    return report(args, workload, results, compared=args.compare_filled)


async def warm_up(bench: Bench, probe: Probe, workload: Workload) -> None:
    if workload.records > 0:
        progress(f"warm-up run ({workload.records} records) …")
        check_complete(await measure_run(bench, probe, workload, "warm-up",
                                         run_timeout(bench.args, workload)))


async def measured(bench: Bench, probe: Probe, workload: Workload, label: str) -> Result:
    progress(f"measured run: {label} ({workload.records} records) …")
    result = await measure_run(bench, probe, workload, label, run_timeout(bench.args, workload))
    check_complete(result)
    return result


async def scaling_mode(bench: Bench, probe: Probe) -> str:
    args = bench.args
    await warm_up(bench, probe, Workload(args.warmup, 1, args.turns))
    rows, base = [], None
    for n in SCALING_SEGMENTS:
        workload = Workload(args.records, n, args.turns)
        progress(f"scaling: N={n} ({workload.records} records) …")
        r = await measure_run(bench, probe, workload, f"scaling-{n}", run_timeout(args, workload))
        check_complete(r)
        tokens = r.prompt_tokens / workload.records
        wall = r.record_wall.mean if r.record_wall else float("nan")
        base = base or (tokens, wall)
        rows.append([str(n), f"{r.llm_requests / workload.records:.1f}", f"{tokens:.0f}",
                     f"{tokens / n:.0f}", f"{tokens / base[0] / n:.2f}", f"{wall:.2f}",
                     f"{wall / n:.3f}", f"{r.wall_s:.1f}"])
    header = ["N", "LLM calls/record", "prompt tokens/record", "per segment",
              "÷ N=1 per segment", "s per record", "s per segment", "run wall s"]
    return "\n".join([
        f"Scaling: R={args.records} records × N segments × K={args.turns} turns, "
        f"{TOKENS_PER_EXCHANGE} tokens per exchange; scripted LLM test server "
        f"C={args.capacity}, L={args.latency:g} s",
        "Prompt cost grows linearly with N when 'per segment' stays roughly flat (each "
        "segment's prompt carries bounded context: a running summary), quadratically when it "
        "grows in proportion to N.", "",
        render_table(header, rows)])


async def run_bench(bench: Bench) -> str:
    async with httpx.AsyncClient(timeout=10) as http:
        mongo: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
            bench.settings.mongodb_uri, tz_aware=True)
        try:
            probe = Probe(bench, http, mongo)
            probe.calibrate()
            mode = scaling_mode if bench.args.scaling else throughput_mode
            return await mode(bench, probe)
        finally:
            mongo.close()


# -- command line ----------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split(" Not part")[0],
        epilog="Settings of the mesh come from LONGWEAVE_* variables or --env; see the module "
               "docstring for what is measured and how.")
    parser.add_argument("--records", "-R", type=int, default=None,
                        help="R: records in the measured run (200; 10 with --scaling)")
    parser.add_argument("--segments", "-N", type=int, default=2, help="N: segments per record")
    parser.add_argument("--turns", "-K", type=int, default=2, help="K: turns per segment")
    parser.add_argument("--latency", "-L", type=float, default=None,
                        help="L: seconds per LLM request (0.5; 0.05 with --scaling)")
    parser.add_argument("--capacity", "-C", type=int, default=32,
                        help="C: LLM requests the test server serves at once")
    parser.add_argument("--generators", "-P", type=int, default=1,
                        help="P: generator processes (with --split; P > 1 implies it)")
    parser.add_argument("--split", action="store_true",
                        help="run the generator(s) apart from the other five services")
    parser.add_argument("--prior-runs", "-M", type=int, default=0,
                        help="M: runs of the same size before the measured one")
    parser.add_argument("--compare-filled", action="store_true",
                        help="measure on the fresh store and again after M prior runs")
    parser.add_argument("--scaling", action="store_true",
                        help=f"cost per record for N = {', '.join(map(str, SCALING_SEGMENTS))}")
    parser.add_argument("--warmup", type=int, default=10, help="records of the warm-up run")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds a run may take (default: 120 s + 20 × its ideal time "
                             "+ 10 s per segment)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the test server's text")
    parser.add_argument("--env", action="append", default=[], metavar="LONGWEAVE_X=VALUE",
                        help="a setting for the mesh processes (repeatable)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary home (logs, data) and print its path")
    args = parser.parse_args(argv)
    if args.records is None:
        args.records = 10 if args.scaling else 200
    if args.latency is None:
        args.latency = 0.05 if args.scaling else 0.5
    args.split = args.split or args.generators > 1
    for name, value, least in (("--records", args.records, 1), ("--segments", args.segments, 1),
                               ("--turns", args.turns, 1), ("--capacity", args.capacity, 1),
                               ("--generators", args.generators, 1),
                               ("--prior-runs", args.prior_runs, 0),
                               ("--warmup", args.warmup, 0)):
        if value < least:
            parser.error(f"{name} must be at least {least}")
    if args.latency <= 0:
        parser.error("--latency must be positive (the ideal is C / L)")
    if args.compare_filled and args.prior_runs < 1:
        parser.error("--compare-filled needs --prior-runs M ≥ 1")
    if any("=" not in item for item in args.env):
        parser.error("--env takes LONGWEAVE_X=VALUE")
    return args


@contextlib.contextmanager
def home_dir(keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="longweave-bench-"))
    try:
        yield path
    finally:
        if keep:
            print(f"kept {path}", file=sys.stderr)
        else:
            shutil.rmtree(path, ignore_errors=True)


def interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM ends the benchmark like Ctrl-C: everything started is stopped on the way out.
    signal.signal(signal.SIGTERM, interrupt)
    try:
        with home_dir(args.keep) as home, Bench(args, home) as bench:
            text = asyncio.run(run_bench(bench))
    except BenchError as exc:
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; everything started was stopped", file=sys.stderr)
        return 130
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
