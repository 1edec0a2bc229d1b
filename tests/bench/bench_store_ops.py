"""MongoDB operations per accepted record: one run of the mesh, counted by the services.

    PYTHONPATH=services python tests/bench/bench_store_ops.py [--records 12] [--earlier 5000]
        [--runs 1]

Runs `longweave serve all` against the local broker and store (or the servers named by
LONGWEAVE_KAFKA_BOOTSTRAP / LONGWEAVE_MONGODB_URI) with the scripted test server as the
model, publishes one run of conversation records (2 segments × 2 turns, every record
accepted at its first attempt) and prints, per accepted record:

- MongoDB commands, by operation and collection and by service: the sum of
  `longweave_store_operations_total` over the six services' /metrics (start-up and health
  checks excluded: the counters are read once the mesh is healthy, and again at the end);
- documents the run left in each collection.

`--earlier N` first fills the database with the documents of N records of earlier runs
(LLM calls, samples, segments, drafts, records), so a query whose cost grows with the data
already stored shows up as a longer wall time and more store CPU (reported when the store
is the local stack's, from /proc). `--runs K` publishes K runs one after another on the
same mesh and store, each measured on its own: a store that slows down with what it has
served shows up there.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "services"))
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402

from longweave.catalog import load_catalog  # noqa: E402
from longweave.settings import SERVICE_NAMES, Settings  # noqa: E402
from longweave.stack import LocalStack, free_loopback_ports  # noqa: E402
from longweave.store import Store  # noqa: E402
from longweave.testing.scripted_llm_server import ScriptedLLMServer  # noqa: E402
from support.mesh import start_mesh_process  # noqa: E402
from support.scripted import SUMMARY_RULE, rules_for_city  # noqa: E402

METRIC = "longweave_store_operations_total"
EARLIER_BATCH = 500


def scenarios_with_own_city(count: int) -> list[tuple[str, str]]:
    """(scenario id, city) of `count` catalog scenarios whose city no other one has or
    starts with (the scripted replies are chosen by city), so each record gets its own."""
    catalog = load_catalog()
    cities = [s["geography"]["city"] for s in catalog]
    chosen = [(s["scenario_id"], city) for s in catalog
              if sum(other.startswith(city := s["geography"]["city"]) for other in cities) == 1]
    if len(chosen) < count:
        raise SystemExit(f"only {len(chosen)} scenarios have a city of their own")
    return chosen[:count]


@contextlib.contextmanager
def servers(home: Path) -> Iterator[tuple[dict[str, str], int | None]]:
    """(the LONGWEAVE_* addresses, the local store's pid or None)."""
    kafka, mongodb = os.environ.get("LONGWEAVE_KAFKA_BOOTSTRAP"), \
        os.environ.get("LONGWEAVE_MONGODB_URI")
    if kafka and mongodb:
        yield {"LONGWEAVE_KAFKA_BOOTSTRAP": kafka, "LONGWEAVE_MONGODB_URI": mongodb}, None
        return
    kafka_port, mongodb_port = free_loopback_ports(2)
    settings = Settings(kafka_bootstrap=f"127.0.0.1:{kafka_port}",
                        mongodb_uri=f"mongodb://127.0.0.1:{mongodb_port}/?directConnection=true",
                        home=home)
    stack = LocalStack(settings)
    try:
        stack.up(only=["kafka", "mongodb"])
        pid = int(stack.pid_file("mongodb").read_text())
        yield {"LONGWEAVE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
               "LONGWEAVE_MONGODB_URI": settings.mongodb_uri}, pid
    finally:
        stack.down()


def cpu_seconds(pid: int | None) -> float | None:
    if pid is None:
        return None
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def store_earlier_runs(store: Store, records: int) -> None:
    """Documents shaped like those of `records` accepted records of 100-record runs."""
    turns = [{"role": r, "content": "An earlier run's turn, long enough to weigh. " * 8}
             for r in ("user", "assistant") * 4]
    created = datetime.now(UTC)
    for start in range(0, records, EARLIER_BATCH):
        ids = [(f"earlier-{i // 100}", f"earlier-{i // 100}-{i % 100:06d}")
               for i in range(start, min(records, start + EARLIER_BATCH))]
        await store.db.llm_calls.insert_many([
            {"_id": f"{s}:a1:{purpose}", "run_id": r, "sample_id": s, "attempt": 1,
             "purpose": purpose, "usage": {"prompt_tokens": 300, "completion_tokens": 120},
             "latency_s": 0.5, "created_at": created}
            for r, s in ids for purpose in ("s0:write", "s0:summary", "s1:write", "judge")])
        await store.db.samples.insert_many([
            {"_id": s, "run_id": r, "stage": "accepted", "attempt": 1, "history": [],
             "created_at": created} for r, s in ids])
        await store.db.segments.insert_many([
            {"_id": f"{s}:a1:s{i}", "run_id": r, "sample_id": s, "turns": turns[:4]}
            for r, s in ids for i in range(2)])
        await store.db.drafts.insert_many([
            {"_id": f"{s}:a1", "run_id": r, "sample_id": s, "attempt": 1, "turns": turns}
            for r, s in ids])
        await store.db.records.insert_many([
            {"_id": s, "run_id": r, "sample_id": s, "messages": turns} for r, s in ids])


def store_operations(exposition: str) -> dict[tuple[str, str], float]:
    counts: dict[tuple[str, str], float] = {}
    for line in exposition.splitlines():
        if line.startswith(METRIC + "{"):
            labels, value = line[len(METRIC) + 1:].rsplit("} ", 1)
            fields = dict(part.split("=", 1) for part in labels.split(","))
            counts[(fields["operation"].strip('"'), fields["collection"].strip('"'))] = \
                float(value)
    return counts


def scrape(ports: dict[str, int]) -> dict[str, dict[tuple[str, str], float]]:
    return {name: store_operations(httpx.get(f"http://127.0.0.1:{port}/metrics",
                                             timeout=5).text)
            for name, port in ports.items()}


def difference(after: dict[str, dict], before: dict[str, dict]) -> dict[str, dict]:
    return {name: {key: value - before[name].get(key, 0.0)
                   for key, value in counts.items() if value - before[name].get(key, 0.0)}
            for name, counts in after.items()}


def report(ops: dict[str, dict[tuple[str, str], float]], documents: dict[str, int],
           accepted: int) -> None:
    by_key: dict[tuple[str, str], float] = defaultdict(float)
    for counts in ops.values():
        for key, value in counts.items():
            by_key[key] += value
    print(f"\nMongoDB commands per accepted record ({accepted} records)")
    print(f"{'operation':<16}{'collection':<18}{'per record':>11}")
    for (operation, collection), value in sorted(by_key.items(),
                                                 key=lambda kv: (kv[0][1], kv[0][0])):
        print(f"{operation:<16}{collection or '-':<18}{value / accepted:>11.2f}")
    print(f"{'total':<34}{sum(by_key.values()) / accepted:>11.2f}")
    print("\nby service: " + ", ".join(
        f"{name} {sum(counts.values()) / accepted:.2f}" for name, counts in ops.items()))
    print("\ndocuments the run left, per accepted record")
    for collection, n in sorted(documents.items()):
        print(f"{collection:<18}{n / accepted:>8.2f}")
    print(f"{'total':<18}{sum(documents.values()) / accepted:>8.2f}")


async def measure(args: argparse.Namespace) -> None:
    picks = scenarios_with_own_city(args.records)
    llm = ScriptedLLMServer().start_in_thread()
    llm.set_rules([*(rule for _, city in picks for rule in rules_for_city(city, [5])),
                   SUMMARY_RULE])
    timings = []
    with tempfile.TemporaryDirectory() as tmp, servers(Path(tmp)) as (addresses, store_pid):
        tag = os.urandom(4).hex()
        earlier = Store(addresses["LONGWEAVE_MONGODB_URI"], f"lw_{tag}")
        started = time.monotonic()
        await store_earlier_runs(earlier, args.earlier)
        if args.earlier:
            print(f"stored {args.earlier} earlier records in {time.monotonic() - started:.0f}s")
        earlier.close()
        mesh = start_mesh_process(addresses, Path(tmp), llm.base_url, tag)
        try:
            ports = {name: mesh.settings.ports.of(name) for name in SERVICE_NAMES}
            for _ in range(args.runs):
                before, cpu_before = scrape(ports), cpu_seconds(store_pid)
                started = time.monotonic()
                run_id = await mesh.publish(
                    paradigm="conversation", count=args.records,
                    params={"segments": 2, "turns_per_segment": 2, "target_tokens": 200,
                            "length_tolerance": 0.5},
                    judge_min_score=3, complexity=0,
                    filters={"scenario_id": [scenario for scenario, _ in picks]})
                status = await mesh.wait(run_id, timeout_s=args.timeout)
                wall_s, cpu_after = time.monotonic() - started, cpu_seconds(store_pid)
                ops = difference(scrape(ports), before)
                accepted = status["stages"]["accepted"]
                if accepted != args.records:
                    letters = mesh.store.db.dead_letters.find({"run_id": run_id})
                    raise SystemExit(f"{status}\n{[d['reasons'] async for d in letters]}")
                store_cpu = "" if cpu_before is None else \
                    f", store CPU {cpu_after - cpu_before:.1f}s"
                timings.append(f"run {len(timings) + 1}: wall time {wall_s:.1f}s{store_cpu}")
            documents = {name: n for name in await mesh.store.db.list_collection_names()
                         if (n := await mesh.store.db[name].count_documents({"run_id": run_id}))}
            documents["runs"] = 1
        finally:
            mesh.stop()
            llm.stop_thread()
    report(ops, documents, accepted)
    print(f"\n(the last run's; {args.earlier} earlier records stored before the first run)")
    print("\n".join(timings))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=12)
    parser.add_argument("--earlier", type=int, default=0,
                        help="records of earlier runs stored before the measured run")
    parser.add_argument("--runs", type=int, default=1, help="runs published one after another")
    parser.add_argument("--timeout", type=float, default=600.0)
    asyncio.run(measure(parser.parse_args()))


if __name__ == "__main__":
    main()
