"""The small Python API users and the CLI share: publish a request, watch a run, export."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from aiokafka import AIOKafkaProducer

from longweave.contracts import ScenarioRequest
from longweave.kafka_admin import ensure_topics
from longweave.settings import Settings
from longweave.store import FINISHED_RUN_STATUSES, Store
from longweave.topics import Topics

STAGES = ("queued", "generating", "validating", "judging", "storing", "accepted",
          "dead_lettered", "stopped")


def new_run_id() -> str:
    return f"run-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def build_request(fields: dict[str, Any]) -> ScenarioRequest:
    """A validated request; run and request ids are generated when not given."""
    fields = dict(fields)
    fields.setdefault("run_id", new_run_id())
    fields.setdefault("request_id", uuid.uuid4().hex)
    return ScenarioRequest.model_validate(fields)


def load_request_file(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold one request object")
    return data


async def publish_request(settings: Settings, request: ScenarioRequest) -> str:
    """Publish a scenario request (keyed by its request id); returns the run id."""
    topics = Topics.with_prefix(settings.topic_prefix)
    await ensure_topics(settings, topics)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap,
                                enable_idempotence=True, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            topics.scenario_requests,
            request.model_dump_json().encode(),
            key=request.request_id.encode(),
        )
    finally:
        await producer.stop()
    return request.run_id


async def run_status(store: Store, run_id: str) -> dict[str, Any]:
    run = await store.get_run(run_id)
    progress = await store.run_progress(run_id)
    requested = run["requested"] if run else None
    done = progress.get("accepted", 0) + progress.get("dead_lettered", 0)
    return {
        "run_id": run_id,
        "known": run is not None,
        "status": run.get("status") if run else "waiting for the sampler",
        "requested": requested,
        "done": done,
        "complete": bool(run) and run.get("status") == "complete",
        "finished": bool(run) and run.get("status") in FINISHED_RUN_STATUSES,
        "stages": {stage: progress.get(stage, 0) for stage in STAGES},
        "regenerated": progress.get("regenerated", 0),
        "usage": run.get("usage") if run else None,
    }


async def sft_rows(store: Store, run_id: str) -> AsyncIterator[dict[str, Any]]:
    """TRL's conversational SFT layout: {"messages": [{"role", "content"}, ...]}."""
    async for record in store.records_of_run(run_id):
        yield {
            "messages": [{"role": t["role"], "content": t["content"]}
                         for t in record["messages"]],
            "id": record["sample_id"],
        }


async def export_run(store: Store, run_id: str, fmt: str, out: Path) -> int:
    if fmt != "sft":
        raise ValueError(f"unknown export format {fmt!r} (available: sft)")
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    tmp = out.with_suffix(out.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        async for row in sft_rows(store, run_id):
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    tmp.replace(out)  # a reader never sees a half-written export
    return count
