"""Stitcher wiring: scenarios and segments in; segment tasks and stitched samples out.

The planner of a sample's units, for any paradigm: a sequential plan asks for one unit
after another (each continuing from the context the previous one left), an independent
plan for all of them at once; when every unit of the attempt is in, the paradigm
assembles them into the draft."""

from __future__ import annotations

import logging

from faststream.kafka import KafkaRouter

from longweave.contracts import Scenario, Segment, SegmentTask, StitchedSample, Usage
from longweave.contracts.records import Draft, SegmentRef
from longweave.paradigms import Plan, paradigm_of
from longweave.planning import (
    context_before,
    current_segment_refs,
    first_segments,
    missing_segments,
    next_segments,
    task_key,
    with_segment,
)
from longweave.runtime import ServiceContext, new_router
from longweave.store import draft_id, now

log = logging.getLogger(__name__)


def build_router(ctx: ServiceContext) -> KafkaRouter:
    router = new_router(ctx)
    topics = ctx.topics
    tasks_out = ctx.publisher(router, topics.segment_tasks, SegmentTask,
                                 "Ask the generator for the next segment")
    stitched_out = ctx.publisher(router, topics.stitched, StitchedSample,
                                 "A whole record (stored in MongoDB drafts)")

    @ctx.subscriber(router, topics.scenarios,
                    description="Start a sample: ask for its first segment (or all of them)")
    async def on_scenario(scenario: Scenario) -> None:
        sample = await ctx.store.sample_to_start(scenario.sample_id)
        if sample is None:
            if await ctx.store.get_sample(scenario.sample_id) is None:
                raise LookupError(f"sample {scenario.sample_id} is not in the store")
            ctx.metrics.messages.labels(topics.scenarios, "stale").inc()
            return
        if await ctx.stopped_before_new_work(scenario.run_id, scenario.sample_id):
            return
        for index in first_segments(sample, paradigm_of(sample).plan):
            await ctx.emit(tasks_out, SegmentTask(
                run_id=scenario.run_id, sample_id=scenario.sample_id, attempt=1,
                segment_index=index,
            ), key=task_key(scenario.sample_id, index))

    @ctx.subscriber(router, topics.segments,
                    description="Collect segments; stitch when the attempt is complete")
    async def on_segment(segment: Segment) -> None:
        # Read, then one write: messages of one sample are handled one at a time (this
        # topic is keyed by the sample id).
        sample = await ctx.current_sample(topics.segments, segment.sample_id, segment.attempt)
        if sample is None:
            return
        ref = SegmentRef(id=segment.segment_id, summary=segment.summary,
                         transcript=segment.summary_is_transcript)
        sample = with_segment(sample, segment.attempt, segment.segment_index, ref)
        paradigm = paradigm_of(sample)
        following = next_segments(sample, segment.segment_index, paradigm.plan)
        complete = not following and not missing_segments(sample)
        # The first unit in moves a queued sample to "generating", the last one to
        # "checking", in the write that records the unit.
        stage = "checking" if complete else "generating" if sample.stage == "queued" else None
        await ctx.store.record_segment(segment.sample_id, segment.attempt,
                                       segment.segment_index, ref, stage=stage)
        if following:
            if await ctx.stopped_before_new_work(segment.run_id, segment.sample_id):
                return
            for index in following:
                context, is_transcript = context_before(sample, index)
                await ctx.emit(tasks_out, SegmentTask(
                    run_id=segment.run_id, sample_id=segment.sample_id,
                    attempt=segment.attempt, segment_index=index, running_summary=context,
                    running_summary_is_transcript=is_transcript, feedback=sample.feedback,
                ), key=task_key(segment.sample_id, index))
            return
        if not complete:
            if paradigm.plan is not Plan.SEQUENTIAL:  # the others are still being written
                return
            raise LookupError(f"sample {segment.sample_id} lacks segments "
                              f"{missing_segments(sample)}")
        refs = current_segment_refs(sample)
        seg_ids = [refs[i].id for i in range(sample.spec.units)]
        docs = await ctx.store.get_segments(seg_ids)
        context = await ctx.store.get_context(sample.context_id) \
            if sample.context_id else None  # a documents source's context text
        outputs = [docs[s]["output"] for s in seg_ids]
        await ctx.store.save_shared_outputs(paradigm.shared_outputs(sample, outputs))
        content = paradigm.assemble(sample, outputs, context)
        usage = sum((Usage(**docs[s]["usage"]) for s in seg_ids), Usage())
        d_id = draft_id(segment.sample_id, segment.attempt)
        await ctx.store.save_draft(Draft.assembled(
            content, _id=d_id, run_id=segment.run_id, sample_id=segment.sample_id,
            attempt=segment.attempt, segment_ids=seg_ids,
            finish_reasons=[docs[s]["finish_reason"] for s in seg_ids],
            models=sorted({docs[s]["model"] for s in seg_ids}),
            prompt_versions=docs[seg_ids[0]]["prompt_versions"],
            generation_usage=usage, created_at=now(),
        ))
        await ctx.emit(stitched_out, StitchedSample(
            run_id=segment.run_id, sample_id=segment.sample_id, attempt=segment.attempt,
            draft_id=d_id,
        ), key=segment.sample_id)

    return router
