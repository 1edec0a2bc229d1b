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

    @ctx.subscriber(router, topics.accepted,
                    description="Store an accepted record with its metadata")
    async def on_accepted(accepted: AcceptedSample) -> None:
        sample = await ctx.store.get_sample(accepted.sample_id)
        draft = await ctx.store.get_draft(accepted.draft_id)
        if sample is None or draft is None:
            raise LookupError(f"sample or draft of {accepted.draft_id} is not in the store")
        if sample.stage == "dead_lettered":
            ctx.metrics.messages.labels(topics.accepted, "stale").inc()
            return
        run_id = sample.run_id
        usage, llm_seconds = await ctx.store.llm_usage_of(run_id, accepted.sample_id)
        accepted_at = sample.accepted_at or now()  # stable across redeliveries
        await ctx.store.save_record(
            build_record(accepted, sample, draft, usage, llm_seconds, accepted_at)
        )
        if await ctx.store.finish_sample(accepted.sample_id, "accepted",
                                         {"accepted_attempt": accepted.attempt,
                                          "accepted_at": accepted_at}, run_id=run_id):
            ctx.metrics.samples.labels("accepted", sample.spec.paradigm).inc()
            ctx.metrics.sample_seconds.labels(sample.spec.paradigm).observe(
                (accepted_at - sample.created_at).total_seconds())
        else:  # finished before: the delivery that did it may have died before its count
            await ctx.store.complete_run_if_done(run_id)

    @ctx.subscriber(router, topics.dead_letter,
                    description="Keep every dead letter; a sample's ends the sample")
    async def on_dead_letter(letter: DeadLetter) -> None:
        await ctx.store.save_dead_letter(
            {"_id": letter.dead_letter_id, **letter.model_dump(mode="json")}
        )
        if not letter.sample_id:
            return
        if await ctx.store.finish_sample(letter.sample_id, "dead_lettered",
                                         {"dead_letter_id": letter.dead_letter_id},
                                         run_id=letter.run_id):
            paradigm = await ctx.sample_paradigm(letter.sample_id)  # not in the letter
            ctx.metrics.samples.labels("dead_lettered", paradigm).inc()
        elif letter.run_id:  # finished before: as for accepted samples
            await ctx.store.complete_run_if_done(letter.run_id)

    return router

