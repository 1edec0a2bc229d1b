"""Sink wiring: accepted samples and dead letters in; MongoDB records out; run completion."""

from __future__ import annotations

import logging

from faststream.kafka import KafkaRouter

from longweave.contracts import AcceptedSample, DeadLetter
from longweave.runtime import ServiceContext, new_router
from longweave.sink.logic import build_record
from longweave.store import now

log = logging.getLogger(__name__)


def build_router(ctx: ServiceContext) -> KafkaRouter:
    router = new_router(ctx)
    topics = ctx.topics

    @router.subscriber(topics.accepted, **ctx.subscriber_options(topics.accepted),
                       description="Store an accepted record with its metadata")
    async def on_accepted(accepted: AcceptedSample) -> None:
        sample = await ctx.store.get_sample(accepted.sample_id)
        draft = await ctx.store.get_draft(accepted.draft_id)
        if sample is None or draft is None:
            raise LookupError(f"sample or draft of {accepted.draft_id} is not in the store")
        if sample["stage"] == "dead_lettered":
            ctx.metrics.messages.labels(topics.accepted, "stale").inc()
            return
        match = {"sample_id": accepted.sample_id}
        usage = await ctx.store.usage_of(match)
        llm_seconds = await ctx.store.llm_seconds_of(match)
        accepted_at = sample.get("accepted_at") or now()  # stable across redeliveries
        await ctx.store.upsert_record(
            build_record(accepted, sample, draft, usage, llm_seconds, accepted_at)
        )
        if await ctx.store.finish_sample(accepted.sample_id, "accepted",
                                         {"accepted_attempt": accepted.attempt,
                                          "accepted_at": accepted_at}):
            ctx.metrics.samples.labels("accepted").inc()
        await ctx.store.complete_run_if_done(accepted.run_id)

    @router.subscriber(topics.dead_letter, **ctx.subscriber_options(topics.dead_letter),
                       description="Keep every dead letter; a sample's ends the sample")
    async def on_dead_letter(letter: DeadLetter) -> None:
        await ctx.store.save_dead_letter(
            {"_id": letter.dead_letter_id, **letter.model_dump(mode="json")}
        )
        if letter.sample_id and await ctx.store.finish_sample(
                letter.sample_id, "dead_lettered", {"dead_letter_id": letter.dead_letter_id}):
            ctx.metrics.samples.labels("dead_lettered").inc()
        if letter.run_id:
            await ctx.store.complete_run_if_done(letter.run_id)

    return router

