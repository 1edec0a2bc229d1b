"""Sampler wiring: consumes scenario requests, writes run + samples, fans out scenarios."""

from __future__ import annotations

import logging

from faststream.kafka import KafkaRouter

from longweave.catalog import load_catalog
from longweave.contracts import DeadLetter, Scenario, ScenarioRequest
from longweave.runtime import ServiceContext, new_router
from longweave.sampler.logic import build_samples, choose_scenarios
from longweave.store import now

log = logging.getLogger(__name__)


async def startup(ctx: ServiceContext) -> None:
    seeded = await ctx.store.seed_scenarios(load_catalog())
    log.info("scenario catalog: %d scenarios", seeded)


def build_router(ctx: ServiceContext) -> KafkaRouter:
    router = new_router(ctx)
    topics = ctx.topics
    scenarios_out = ctx.publisher(router, topics.scenarios, Scenario,
                                 "One sampled scenario per sample")

    @router.subscriber(topics.scenario_requests, **ctx.subscriber_options(topics.scenario_requests),
                       description="Scenario requests published by users")
    async def on_request(request: ScenarioRequest) -> None:
        run, created = await ctx.store.create_run({
            "_id": request.run_id,
            "request_id": request.request_id,
            "request": request.model_dump(mode="json"),
            "requested": request.count,
            "status": "sampling",
            "created_at": now(),
        })
        if not created and run.get("fanned_out"):
            log.info("request %s already processed (run %s): ignored", request.request_id,
                     run["_id"])
            ctx.metrics.messages.labels(topics.scenario_requests, "duplicate").inc()
            return
        if not created and run["_id"] != request.run_id:
            await ctx.dead_letter(DeadLetter(
                dead_letter_id=f"duplicate-request:{request.request_id}:{request.run_id}",
                kind="invalid_message", source_topic=topics.scenario_requests,
                reasons=[f"request id {request.request_id} already used by run {run['_id']}"],
                payload=request.model_dump_json(),
            ))
            return
        catalog = await ctx.store.find_scenarios(request.filters)
        if not catalog:
            await ctx.store.update_run(request.run_id, {"status": "failed",
                                                        "error": "no scenario matches"})
            await ctx.dead_letter(DeadLetter(
                dead_letter_id=f"no-scenarios:{request.run_id}", kind="invalid_message",
                source_topic=topics.scenario_requests, run_id=request.run_id,
                reasons=[f"no scenario matches the filters {request.filters}"],
                payload=request.model_dump_json(),
            ))
            return
        samples = build_samples(request, choose_scenarios(catalog, request.count, request.seed),
                                now())
        await ctx.store.create_samples(samples)
        for doc in samples:
            await ctx.emit(scenarios_out, Scenario(
                run_id=request.run_id, sample_id=doc["_id"], scenario_id=doc["scenario_id"],
                index=doc["index"]), key=doc["_id"])
        await ctx.store.update_run(request.run_id, {"fanned_out": True, "status": "running"})
        log.info("run %s: %d scenarios published", request.run_id, len(samples))

    return router
