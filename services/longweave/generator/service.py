"""Generator wiring: segment tasks → LLM → segments; regeneration requests → new attempts."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from faststream.kafka import KafkaRouter

from longweave.contracts import (
    DeadLetter,
    RegenerationRequest,
    Segment,
    SegmentTask,
    Usage,
)
from longweave.generator.logic import (
    SUMMARY_MAX_WORDS,
    chars_per_exchange,
    exchanges_to_turns,
    segment_max_tokens,
    segment_prompt_context,
    segment_schema,
    transcript_within_budget,
    trim_to_sentence,
)
from longweave.llm import CallScope, LLMError, ReplyParseError, RunStopped
from longweave.llm.decoding import attempt_temperature, decoding_seed
from longweave.planning import (
    call_priority,
    context_before,
    redo_after_generation_failure,
    segments_to_generate,
)
from longweave.runtime import ServiceContext, new_router
from longweave.store import TERMINAL_STAGES, now, segment_id

log = logging.getLogger(__name__)

SEGMENT_PROMPT = "conversation/segment.j2"
SUMMARY_PROMPT = "conversation/summary.j2"


def build_router(ctx: ServiceContext) -> KafkaRouter:
    router = new_router(ctx)
    topics = ctx.topics
    segments_out = ctx.publisher(router, topics.segments, Segment,
                                 "Generated segments (turns stored in MongoDB)")
    tasks_out = ctx.publisher(router, topics.segment_tasks, SegmentTask,
                                 "First segment task of a regenerated attempt")
    regen_out = ctx.publisher(router, topics.regeneration, RegenerationRequest,
                                 "A segment the generator could not write")

    @ctx.subscriber(router, topics.segment_tasks,
                    description="Write one segment")
    async def on_task(task: SegmentTask) -> None:
        sample = await ctx.store.get_sample(task.sample_id)
        if sample is None or sample["attempt"] != task.attempt or \
                sample["stage"] in TERMINAL_STAGES:
            ctx.metrics.messages.labels(topics.segment_tasks, "stale").inc()
            return
        seg_id = segment_id(task.sample_id, task.attempt, task.segment_index)
        # A redelivered task finds its finished calls in the response cache, so it needs no
        # look for the segment first, unless the cache is off for this run.
        cache_on = ctx.settings.llm_cache and sample["spec"].get("cache", True)
        segment = None if cache_on else await ctx.store.get_segment(seg_id)
        if segment is None:
            try:
                # Inside the handler deadline, so a slow endpoint ends in regeneration,
                # never in a cancelled handler and a redelivery.
                async with asyncio.timeout(ctx.settings.llm_work_deadline_s):
                    segment = await _write_segment(ctx, sample, task, seg_id)
            except RunStopped as stopped:  # cancelled or out of budget: end the sample
                await ctx.stopped_before_new_work(task.run_id, task.sample_id,
                                                  stopped.reason)
                return
            except (LLMError, ReplyParseError, TimeoutError) as exc:
                reason = f"segment {task.segment_index}: {type(exc).__name__}: {exc}"
                log.warning("sample %s attempt %d: %s", task.sample_id, task.attempt, reason)
                ctx.metrics.samples.labels("generation_failed").inc()
                await ctx.emit(regen_out, RegenerationRequest(
                    run_id=task.run_id, sample_id=task.sample_id, attempt=task.attempt,
                    stage="generator", reasons=[reason],
                    segment_indexes=redo_after_generation_failure(
                        sample["spec"]["segments"], sample.get("redo_indexes", []),
                        task.segment_index),
                ), key=task.sample_id)
                return
        await ctx.emit(segments_out, Segment(
            run_id=task.run_id, sample_id=task.sample_id, attempt=task.attempt,
            segment_index=task.segment_index, segment_id=seg_id, summary=segment["summary"],
            summary_is_transcript=segment.get("summary_is_transcript", False),
            finish_reason=segment["finish_reason"], usage=Usage(**segment["usage"]),
        ), key=task.sample_id)

    @ctx.subscriber(router, topics.regeneration,
                    description="Failed validations and judgments, with feedback")
    async def on_regeneration(request: RegenerationRequest) -> None:
        sample = await ctx.store.get_sample(request.sample_id)
        if sample is None or sample["stage"] in TERMINAL_STAGES:
            ctx.metrics.messages.labels(topics.regeneration, "stale").inc()
            return
        failure = {"attempt": request.attempt, "stage": request.stage,
                   "reasons": request.reasons, "segment_indexes": request.segment_indexes,
                   "at": now().isoformat()}
        if await ctx.stopped_before_new_work(request.run_id, request.sample_id):
            return
        if request.attempt >= sample["spec"]["max_attempts"]:
            if sample["attempt"] == request.attempt:
                ctx.metrics.samples.labels("attempts_exhausted").inc()
                await ctx.dead_letter(DeadLetter(
                    dead_letter_id=f"sample:{request.sample_id}", kind="attempts_exhausted",
                    source_topic=topics.regeneration, run_id=request.run_id,
                    sample_id=request.sample_id,
                    reasons=request.reasons, history=[*sample.get("history", []), failure],
                ))
            return
        moved = await ctx.store.begin_attempt(
            request.sample_id, request.attempt, request.segment_indexes, request.reasons, failure
        )
        if moved is None:
            ctx.metrics.messages.labels(topics.regeneration, "stale").inc()
            return
        ctx.metrics.samples.labels(f"regenerate_{request.stage}").inc()
        first = segments_to_generate(moved["spec"]["segments"], moved["redo_indexes"])[0]
        context, is_transcript = context_before(moved, first)
        await ctx.emit(tasks_out, SegmentTask(
            run_id=request.run_id, sample_id=request.sample_id, attempt=moved["attempt"],
            segment_index=first, running_summary=context,
            running_summary_is_transcript=is_transcript, feedback=request.reasons,
        ), key=request.sample_id)

    return router


async def _write_segment(
    ctx: ServiceContext, sample: dict[str, Any], task: SegmentTask, seg_id: str
) -> dict[str, Any]:
    spec = sample["spec"]
    client = ctx.llm("generator")
    prompt = ctx.prompts.render(
        SEGMENT_PROMPT,
        **segment_prompt_context(sample, task.segment_index, task.running_summary,
                                 task.feedback, task.running_summary_is_transcript),
    )
    seed = decoding_seed(sample["_id"], task.attempt, task.segment_index)
    priority = call_priority(task.attempt, task.segment_index)
    completion = await client.chat(
        prompt.messages, max_tokens=segment_max_tokens(spec),
        temperature=attempt_temperature(ctx.settings.llm_temperature, task.attempt),
        frequency_penalty=ctx.settings.llm_frequency_penalty,
        seed=seed,
        json_schema=segment_schema(spec["turns_per_segment"], chars_per_exchange(spec)),
        schema_name="segment",
        scope=CallScope.for_sample(sample, prompt.version, purpose="segment",
                                   priority=priority),
    )
    turns = exchanges_to_turns(completion.parsed)
    summary, is_transcript, summary_version = "", False, None
    if task.segment_index < spec["segments"] - 1:  # the last context would never be read
        transcript = transcript_within_budget(
            task.running_summary, task.running_summary_is_transcript, turns,
            ctx.settings.context_budget_tokens)
        if transcript is not None:  # still short: the next segment reads it verbatim
            summary, is_transcript = transcript, True
    if task.segment_index < spec["segments"] - 1 and not is_transcript:
        summary_prompt = ctx.prompts.render(
            SUMMARY_PROMPT, previous_summary=task.running_summary,
            previous_is_transcript=task.running_summary_is_transcript,
            turns=[t.model_dump() for t in turns], max_words=SUMMARY_MAX_WORDS,
        )
        summarised = await client.chat(
            summary_prompt.messages, max_tokens=SUMMARY_MAX_WORDS * 2 + 20, temperature=0.2,
            seed=seed,
            scope=CallScope.for_sample(sample, summary_prompt.version, purpose="summary",
                                       priority=priority - 1),
        )
        summary = trim_to_sentence(summarised.text)
        summary_version = summary_prompt.version
    doc = {
        "_id": seg_id,
        "run_id": task.run_id,
        "sample_id": task.sample_id,
        "attempt": task.attempt,
        "segment_index": task.segment_index,
        "turns": [t.model_dump() for t in turns],
        "summary": summary,
        "summary_is_transcript": is_transcript,
        "finish_reason": completion.finish_reason,
        "usage": completion.usage.model_dump(),
        "model": completion.model,
        "prompt_versions": {"segment": prompt.version, "summary": summary_version},
        "latency_s": completion.latency_s,
        "created_at": now(),
    }
    await ctx.store.save_segment(doc)
    return doc
