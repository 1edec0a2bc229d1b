"""Sampler wiring: consumes scenario requests, writes run + samples, fans out scenarios."""

from __future__ import annotations

import logging
from typing import Any

from faststream.kafka import KafkaRouter
from faststream.kafka.annotations import KafkaMessage

from longweave.catalog import catalog_version, load_catalog, scenario_fields
from longweave.contracts import DeadLetter, Scenario, ScenarioRequest
from longweave.contracts.records import Sample
from longweave.corpus.library import DocumentLibrary
from longweave.observability import counting_store_operations
from longweave.paradigms import PARADIGMS
from longweave.runtime import MAX_PAYLOAD_IN_DEAD_LETTER, ServiceContext, new_router
from longweave.sampler.logic import (
    attach_contexts,
    build_samples,
    choose_scenarios,
    corpus_problems,
    plan_materials,
    request_problems,
    sample_id,
    use_material,
)
from longweave.sampler.plan import Pick
from longweave.store import now

log = logging.getLogger(__name__)

# Between two looks at the run's stop flag, at most this many scenarios are published.
STOP_CHECK_EVERY = 100
SAMPLES_PER_WRITE = 1_000
CONTEXT_CHARS_PER_WRITE = 64_000_000  # contexts cut in memory at once (documents source)


def samples_per_write(request: ScenarioRequest, documents: list[dict[str, Any]]) -> int:
    """Samples built and written at once: fewer when each carries a long context."""
    if not documents:
        return SAMPLES_PER_WRITE
    chars = int(request.params.get("context_tokens", 8000)) * 4
    return max(1, min(SAMPLES_PER_WRITE, CONTEXT_CHARS_PER_WRITE // max(1, chars)))


async def startup(ctx: ServiceContext) -> None:
    with counting_store_operations(ctx.metrics):
        await DocumentLibrary(ctx.store).ensure_indexes()
        loaded, retired = await ctx.store.load_catalog_scenarios(load_catalog(),
                                                                 catalog_version())
    log.info("scenario catalog v%d: %d scenarios (%d retired)", catalog_version(), loaded,
             retired)


def build_router(ctx: ServiceContext) -> KafkaRouter:
    router = new_router(ctx)
    topics = ctx.topics
    scenarios_out = ctx.publisher(router, topics.scenarios, Scenario,
                                 "One sampled scenario per sample")
    library = DocumentLibrary(ctx.store)

    async def reject(request: ScenarioRequest, raw: bytes | None, reasons: list[str]) -> None:
        text = (raw or b"").decode("utf-8", errors="replace")
        await ctx.dead_letter(DeadLetter(
            dead_letter_id=f"invalid-request:{request.request_id}:{request.run_id}",
            kind="invalid_message", source_topic=topics.scenario_requests,
            run_id=request.run_id, reasons=reasons,
            payload=text[:MAX_PAYLOAD_IN_DEAD_LETTER] or request.model_dump_json(),
        ))
        ctx.metrics.messages.labels(topics.scenario_requests, "rejected").inc()

    @ctx.subscriber(router, topics.scenario_requests,
                    description="Scenario requests published by users")
    async def on_request(request: ScenarioRequest, message: KafkaMessage) -> None:
        run, created = await ctx.store.create_run({
            "_id": request.run_id,
            "request_id": request.request_id,
            "request": request.model_dump(mode="json"),
            "requested": request.count,
            "status": "sampling",
            "created_at": now(),
        })
        if not created and (run["_id"], run.get("request_id")) != (request.run_id,
                                                                    request.request_id):
            clash = (f"request id {request.request_id} already used by run {run['_id']}"
                     if run["_id"] != request.run_id else
                     f"run id {request.run_id} already used by request {run.get('request_id')}")
            await reject(request, message.body, [clash])
            return
        if not created and (run.get("fanned_out") or run.get("status") == "failed"):
            log.info("request %s already processed (run %s): ignored", request.request_id,
                     run["_id"])
            ctx.metrics.messages.labels(topics.scenario_requests, "duplicate").inc()
            return
        catalog = [scenario_fields(doc) for doc in await ctx.store.find_scenarios({})]
        problems = request_problems(request, catalog)
        documents: list[dict[str, Any]] = []
        if not problems:
            paradigm = PARADIGMS[request.paradigm]
            params = paradigm.parse_params(request.params)
            if paradigm.reads_documents(params):
                documents = await library.list(paradigm.document_filter(params),
                                               with_structure=True)
                problems = corpus_problems(paradigm, params, documents)
        if problems:
            await ctx.store.update_run(request.run_id, {"status": "failed",
                                                        "error": "; ".join(problems)})
            await reject(request, message.body, problems)
            return
        picks = choose_scenarios(catalog, request.count, request.seed, request.filters,
                                 request.weights)
        created_at = now()
        texts: dict[str, str] = {}  # the documents' texts this request reads, by id
        per_write = samples_per_write(request, documents)
        for start in range(0, len(picks), per_write):  # bounded memory per write
            samples = build_samples(request, picks[start:start + per_write],
                                    created_at, first_index=start)
            if documents:
                await ctx.store.save_contexts(
                    await contexts_for(request, samples, documents, texts))
            await ctx.store.create_samples(samples)
        published = await fan_out(request.run_id, request.paradigm, picks)
        await ctx.store.update_run(request.run_id, {"fanned_out": True, "status": "running"})
        # Samples may all have ended already (stopped, or a small run): only now can they
        # complete the run.
        await ctx.store.complete_run_if_done(request.run_id)
        log.info("run %s: %d of %d scenarios published", request.run_id, published, len(picks))

    async def contexts_for(request: ScenarioRequest, samples: list[Sample],
                           documents: list[dict[str, Any]], texts: dict[str, str]
                           ) -> list[dict[str, Any]]:
        """Documents source: plan each sample's material, load the texts it names (once
        per request), and cut the contexts."""
        paradigm = PARADIGMS[request.paradigm]
        # A redelivered request finds the contexts it cut before: their material stands,
        # even if the corpus has changed since.
        stored = await ctx.store.materials_of([s.id for s in samples])
        for sample in samples:
            if sample.id in stored:
                use_material(sample, stored[sample.id], paradigm)
        fresh = [s for s in samples if s.id not in stored]
        materials = plan_materials(fresh, paradigm, documents, request.seed)
        for doc_id in {part["id"] for m in materials for part in m["documents"]} - set(texts):
            texts[doc_id] = await library.text(doc_id)
        return attach_contexts(fresh, materials, paradigm, texts)

    async def fan_out(run_id: str, paradigm: str, picks: list[Pick]) -> int:
        """Publish one Scenario per sample, keyed by sample id (spread over partitions).
        A run asked to stop meanwhile gets no more: its unpublished samples end stopped."""
        for index, pick in enumerate(picks):
            if index % STOP_CHECK_EVERY == 0:
                reason = await ctx.store.stop_requested(run_id)
                if reason is not None:
                    stopped = await ctx.store.stop_unpublished_samples(run_id, index, reason)
                    ctx.metrics.samples.labels("stopped", paradigm).inc(stopped)
                    return index
            s_id = sample_id(run_id, index)
            await ctx.emit(scenarios_out, Scenario(
                run_id=run_id, sample_id=s_id, scenario_id=pick.variant.scenario_id,
                index=index), key=s_id)
        return len(picks)

    return router
