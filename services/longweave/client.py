"""The small Python API users and the CLI share: publish a request, watch a run, export."""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from aiokafka import AIOKafkaProducer
from pymongo.errors import PyMongoError

from longweave import __version__
from longweave.contracts import ScenarioRequest
from longweave.corpus.library import DocumentLibrary
from longweave.export import (
    FORMATS,
    dataset_card,
    exporting_paradigm,
    parse_split,
    rejected_drafts,
    split_of,
)
from longweave.kafka_admin import ensure_topics
from longweave.kafka_security import kafka_client_options
from longweave.paradigms import ExportOptions
from longweave.run_summary import throughput_and_eta
from longweave.runs import (
    failure_reasons,
    published_request,
    recent_completion_times,
    record_published,
)
from longweave.settings import Settings
from longweave.store import (
    ACTIVE_STAGES,
    FINISHED_RUN_STATUSES,
    RUN_COUNTERS,
    TERMINAL_STAGES,
    Store,
    now,
)
from longweave.topics import Topics

log = logging.getLogger(__name__)

STAGES = (*ACTIVE_STAGES, *TERMINAL_STAGES)
EXPORT_TEXTS_KEPT = 4  # corpus texts an export keeps loaded (books are large)
# How long publishing waits for the store to note the request: it is published already.
PUBLISHED_RECORD_TIMEOUT_MS = 3_000
THROUGHPUT_WINDOW_S = 300.0  # the recent completions throughput and ETA are measured on


def new_run_id() -> str:
    return f"run-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def build_request(fields: dict[str, Any]) -> ScenarioRequest:
    """A validated request; run and request ids are generated when not given. Raises
    ValueError (pydantic's ValidationError is one) naming every problem."""
    from longweave.sampler.logic import request_problems_before_sampling

    fields = dict(fields)
    fields.setdefault("run_id", new_run_id())
    fields.setdefault("request_id", uuid.uuid4().hex)
    request = ScenarioRequest.model_validate(fields)
    problems = request_problems_before_sampling(request)
    if problems:
        raise ValueError("; ".join(problems))
    return request


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
                                enable_idempotence=True, acks="all",
                                **kafka_client_options(settings))
    await producer.start()
    try:
        await producer.send_and_wait(
            topics.scenario_requests,
            request.model_dump_json().encode(),
            key=request.request_id.encode(),
        )
    finally:
        await producer.stop()
    await _note_published(settings, request)
    return request.run_id


async def _note_published(settings: Settings, request: ScenarioRequest) -> None:
    """Record the published request, so `status` knows its run before the sampler reads
    it. An unreachable store is only warned about: the request is on its way anyway."""
    store = Store(settings.mongodb_uri, settings.mongodb_db,
                  server_selection_timeout_ms=PUBLISHED_RECORD_TIMEOUT_MS)
    try:
        await record_published(store, request)
    except PyMongoError as exc:
        log.warning("run %s is published, but the store could not note it (%s): `status` "
                    "will know the run once the sampler has read it", request.run_id,
                    type(exc).__name__)
    finally:
        store.close()


async def cancel_run(store: Store, run_id: str) -> str:
    """Ask a run to stop: no new work is issued, work in flight drains, and the run ends
    "cancelled". Returns "cancelling", "already stopping", "finished" or "unknown"."""
    if await store.request_stop(run_id, "cancelled"):
        return "cancelling"
    run = await store.get_run(run_id)
    if run is None:
        return "unknown"
    if run.get("status") in FINISHED_RUN_STATUSES:
        return "finished"
    return "already stopping"


async def run_status(store: Store, run_id: str) -> dict[str, Any]:
    """A run's progress. A run published but not read by the sampler yet is known, with
    status "published"; a run id neither the sampler nor a publish recorded is not known."""
    run = await store.get_run(run_id)
    published = await published_request(store, run_id) if run is None else None
    # Finished samples are counted on the run; only unfinished ones are counted here.
    progress = {**await store.unfinished_samples(run_id),
                **{counter: (run or {}).get(counter, 0) for counter in RUN_COUNTERS}}
    requested = run["requested"] if run else None
    done = progress.get("accepted", 0) + progress.get("dead_lettered", 0)
    ended = done + progress.get("stopped", 0)
    status = run.get("status") if run else "published" if published else "unknown"
    per_min, eta_s = None, None
    if run is not None and ended:
        at = now()
        per_min, eta_s = throughput_and_eta(
            await recent_completion_times(store, run_id, at - timedelta(
                seconds=THROUGHPUT_WINDOW_S)),
            max(0, requested - ended), at, THROUGHPUT_WINDOW_S)
    has_failures = status == "failed" or progress.get("dead_lettered", 0) > 0
    return {
        "run_id": run_id,
        "known": run is not None or published is not None,
        "status": status,
        "error": run.get("error") if run else None,  # why a whole run failed
        "requested": requested,
        "done": done,
        "complete": bool(run) and run.get("status") == "complete",
        "finished": bool(run) and run.get("status") in FINISHED_RUN_STATUSES,
        "stages": {stage: progress.get(stage, 0) for stage in STAGES},
        "regenerated": progress.get("regenerated", 0),
        "usage": run.get("usage") if run else None,
        "llm_usage": run.get("llm_usage") if run else None,  # paid, incl. cost and cache hits
        "paradigm": (run.get("request") or {}).get("paradigm") if run else
        (published or {}).get("paradigm"),
        "created_at": run.get("created_at") if run else (published or {}).get("published_at"),
        "throughput_per_min": per_min,  # samples ended per minute, lately
        "eta_s": eta_s,
        # The top reasons dead letters give (and a failed run's error), when there are any.
        "reasons": await failure_reasons(store, run) if run and has_failures else [],
    }


async def export_rows(store: Store, run_id: str, fmt: str,
                      options: ExportOptions = ExportOptions()
                      ) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """(sample id, row) in the layout of `fmt`, in sample order."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (available: {', '.join(FORMATS)})")
    library = DocumentLibrary(store)
    texts: dict[str, str] = {}
    async for record in store.records_of_run(run_id):
        paradigm = exporting_paradigm(record, fmt)
        needed = paradigm.export_documents(record, fmt)
        if needed:
            for doc_id in set(needed) - set(texts):
                if len(texts) >= EXPORT_TEXTS_KEPT:  # records come book by book, mostly
                    texts.pop(next(iter(texts)))
                with contextlib.suppress(LookupError):  # the paradigm says what is missing
                    texts[doc_id] = await library.text(doc_id)
            options = replace(options, documents={d: texts[d] for d in needed if d in texts})
        for row in paradigm.export_rows(fmt, record, options):
            yield record["sample_id"], row
        if fmt != "dpo":
            continue
        for draft in rejected_drafts(await store.drafts_of_sample(run_id,
                                                                  record["sample_id"])):
            row = paradigm.dpo_row(record, draft, options)
            if row is not None:
                yield record["sample_id"], row


async def claims_eval_items(store: Store, run_id: str, max_context_tokens: int | None
                            ) -> list[Any]:
    """The claims of a run as evaluation items: each record's sft rows (the book, or the
    chapters that fit, and a claim; the verdict to expect)."""
    from longweave.paradigms.claims.evaluation import items_from_rows

    run = await store.get_run(run_id)
    if run is None:
        raise ValueError(f"no run {run_id}")
    if (run.get("request") or {}).get("paradigm") != "claims":
        raise ValueError(f"run {run_id} is not a claims run")
    rows = [row async for _, row in export_rows(
        store, run_id, "sft", ExportOptions(max_context_tokens=max_context_tokens))]
    return items_from_rows(rows)


async def export_run(store: Store, run_id: str, fmt: str, out: Path,
                     split: str | None = None, options: ExportOptions = ExportOptions()
                     ) -> dict[str, int]:
    """Write a run's records as JSONL (one file, or one per split) plus a dataset card
    (README.md beside them). Returns rows per file name. Files appear atomically."""
    shares = parse_split(split)
    single = not shares and out.suffix == ".jsonl"
    folder = out.parent if single else out
    folder.mkdir(parents=True, exist_ok=True)
    names = list(shares) or [out.stem if single else fmt]
    paths = {name: folder / f"{name}.jsonl" for name in names}
    counts = dict.fromkeys(names, 0)
    handles = {name: path.with_suffix(".jsonl.tmp").open("w", encoding="utf-8")
               for name, path in paths.items()}
    try:
        async for sample_id, row in export_rows(store, run_id, fmt, options):
            name = split_of(sample_id, shares) if shares else names[0]
            handles[name].write(json.dumps(row, ensure_ascii=False) + "\n")
            counts[name] += 1
    except BaseException:
        for path in paths.values():  # a failed export leaves no partial file behind
            path.with_suffix(".jsonl.tmp").unlink(missing_ok=True)
        raise
    finally:
        for handle in handles.values():
            handle.close()
    for name, path in paths.items():
        path.with_suffix(".jsonl.tmp").replace(path)
    run = await store.get_run(run_id) or {"_id": run_id}
    records = await store.records_of_run(run_id).to_list(None)
    (folder / "README.md").write_text(dataset_card(run, records, fmt, counts, __version__),
                                      encoding="utf-8")
    return counts
