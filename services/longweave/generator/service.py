"""Generator wiring: segment tasks → LLM → segments; regeneration requests → new attempts.

A segment is one generation unit of the sample's paradigm (a conversation's K exchanges, a
batch of questions, …): the paradigm builds its call and parses the reply."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

from faststream.kafka import KafkaRouter

from longweave.contracts import (
    DeadLetter,
    RegenerationRequest,
    Segment,
    SegmentTask,
    Usage,
)
from longweave.contracts.records import AttemptFailure, Sample
from longweave.corpus.library import DocumentLibrary
from longweave.llm import CallScope
from longweave.llm.decoding import attempt_temperature, decoding_seed
from longweave.paradigms import Paradigm, Plan, UnitCall, UnitInput, paradigm_of
from longweave.planning import (
    call_priority,
    context_before,
    current_segment_refs,
    first_segments,
    inputs_of,
    redo_after_generation_failure,
    regeneration_origin,
    task_key,
    units_to_redo,
)
from longweave.runtime import ServiceContext, new_router
from longweave.store import now, segment_id

log = logging.getLogger(__name__)


def build_router(ctx: ServiceContext) -> KafkaRouter:
    router = new_router(ctx)
    topics = ctx.topics
    texts = DocumentTexts(ctx)
    segments_out = ctx.publisher(router, topics.segments, Segment,
                                 "Generated segments (turns stored in MongoDB)")
    tasks_out = ctx.publisher(router, topics.segment_tasks, SegmentTask,
                                 "First segment tasks of a regenerated attempt")
    regen_out = ctx.publisher(router, topics.regeneration, RegenerationRequest,
                                 "A segment the generator could not write")

    @ctx.subscriber(router, topics.segment_tasks,
                    description="Write one segment")
    async def on_task(task: SegmentTask) -> None:
        sample = await ctx.current_sample(topics.segment_tasks, task.sample_id, task.attempt)
        if sample is None:
            return
        seg_id = segment_id(task.sample_id, task.attempt, task.segment_index)
        # A redelivered task finds its finished calls in the response cache, so it needs no
        # look for the segment first, unless the cache is off for this run.
        cache_on = ctx.settings.llm_cache and sample.spec.cache
        segment = None if cache_on else await ctx.store.get_segment(seg_id)
        if segment is None:
            work = await ctx.llm_work(task.run_id, task.sample_id,
                                      lambda: _write_segment(ctx, sample, task, seg_id, texts))
            if work.stopped:
                return
            if work.failure is not None:
                reason = f"segment {task.segment_index}: {work.failure}"
                log.warning("sample %s attempt %d: %s", task.sample_id, task.attempt, reason)
                ctx.metrics.samples.labels("generation_failed", sample.spec.paradigm).inc()
                await ctx.emit(regen_out, RegenerationRequest(
                    run_id=task.run_id, sample_id=task.sample_id, attempt=task.attempt,
                    stage="generator", reasons=[reason],
                    segment_indexes=redo_after_generation_failure(
                        sample.spec, sample.redo_indexes, task.segment_index,
                        paradigm_of(sample).plan),
                ), key=task.sample_id)
                return
            segment = work.result
        await ctx.emit(segments_out, Segment(
            run_id=task.run_id, sample_id=task.sample_id, attempt=task.attempt,
            segment_index=task.segment_index, segment_id=seg_id, summary=segment["summary"],
            summary_is_transcript=segment.get("summary_is_transcript", False),
            finish_reason=segment["finish_reason"], usage=Usage(**segment["usage"]),
        ), key=task.sample_id)

    @ctx.subscriber(router, topics.regeneration,
                    description="Failed validations and judgments, with feedback")
    async def on_regeneration(request: RegenerationRequest) -> None:
        sample = await ctx.current_sample(topics.regeneration, request.sample_id)
        if sample is None:
            return
        failure = AttemptFailure(attempt=request.attempt, stage=request.stage,
                                 reasons=request.reasons,
                                 segment_indexes=request.segment_indexes,
                                 at=now().isoformat())
        if await ctx.stopped_before_new_work(request.run_id, request.sample_id):
            return
        if request.attempt >= sample.spec.max_attempts:
            if sample.attempt == request.attempt:
                ctx.metrics.samples.labels("attempts_exhausted", sample.spec.paradigm).inc()
                await ctx.dead_letter(DeadLetter(
                    dead_letter_id=f"sample:{request.sample_id}", kind="attempts_exhausted",
                    source_topic=topics.regeneration, run_id=request.run_id,
                    sample_id=request.sample_id,
                    reasons=request.reasons,
                    history=[f.model_dump() for f in (*sample.history, failure)],
                ))
            return
        paradigm = paradigm_of(sample)
        named = request.segment_indexes or paradigm.whole_record_units(sample)
        redo = units_to_redo(sample.spec, named, paradigm.plan)
        moved = await ctx.store.begin_attempt(
            request.sample_id, request.attempt, redo, request.reasons, failure,
            origin=regeneration_origin(request),
        )
        if moved is None:
            ctx.metrics.messages.labels(topics.regeneration, "stale").inc()
            return
        ctx.metrics.samples.labels(f"regenerate_{request.stage}", paradigm.name).inc()
        for first in first_segments(moved, paradigm.plan):
            context, is_transcript = context_before(moved, first)
            await ctx.emit(tasks_out, SegmentTask(
                run_id=request.run_id, sample_id=request.sample_id, attempt=moved.attempt,
                segment_index=first, running_summary=context,
                running_summary_is_transcript=is_transcript, feedback=request.reasons,
            ), key=task_key(request.sample_id, first))

    return router


class DocumentTexts:
    """Corpus texts the units read whole, the last few kept (a book's units come together)."""

    def __init__(self, ctx: ServiceContext, keep: int = 4) -> None:
        self._library = DocumentLibrary(ctx.store)
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._keep = keep

    async def get(self, doc_id: str) -> str:
        if doc_id not in self._texts:
            self._texts[doc_id] = await self._library.text(doc_id)
            while len(self._texts) > self._keep:
                self._texts.popitem(last=False)
        self._texts.move_to_end(doc_id)
        return self._texts[doc_id]


async def _write_segment(
    ctx: ServiceContext, sample: Sample, task: SegmentTask, seg_id: str, texts: DocumentTexts
) -> dict[str, Any]:
    paradigm = paradigm_of(sample)
    n_units = sample.spec.units
    inputs: list[Any] = []
    if read := inputs_of(sample.spec, paradigm.plan, task.segment_index):
        refs = current_segment_refs(sample)  # the stitcher asks once the stages before are in
        ids = [refs[i].id for i in read]
        written = await ctx.store.get_segments(ids)
        inputs = [written[i]["output"] for i in ids]
    documents = {doc_id: await texts.get(doc_id)
                 for doc_id in paradigm.unit_documents(sample, task.segment_index)}
    unit = UnitInput(sample=sample, params=paradigm.params_of(sample), index=task.segment_index,
                     context=task.running_summary,
                     context_is_transcript=task.running_summary_is_transcript,
                     feedback=task.feedback, inputs=inputs, documents=documents)
    priority = call_priority(task.attempt, task.segment_index)
    call = paradigm.unit_call(unit)
    seed = decoding_seed(call.shared_as, task.attempt) if call.shared_as is not None else \
        decoding_seed(sample.id, task.attempt, task.segment_index)
    completion, version = await _call(ctx, paradigm, call, sample, seed, priority, "segment",
                                      task.attempt)
    output = paradigm.parse_unit(
        completion.parsed if call.json_schema is not None else completion.text, unit)
    summary, is_transcript, summary_version = "", False, None
    # The last unit's context would never be read; independent units read none.
    if task.segment_index < n_units - 1 and paradigm.plan is Plan.SEQUENTIAL:
        transcript = paradigm.carry_forward(unit, output, ctx.settings.context_budget_tokens)
        if transcript is not None:  # still short: the next unit reads it verbatim
            summary, is_transcript = transcript, True
        else:
            summary_call = paradigm.summary_call(unit, output)
            if summary_call is not None:
                summarised, summary_version = await _call(
                    ctx, paradigm, summary_call, sample, seed, priority - 1, "summary",
                    task.attempt)
                summary = paradigm.summary_from_reply(summarised.text)
    doc = {
        "_id": seg_id,
        "run_id": task.run_id,
        "sample_id": task.sample_id,
        "attempt": task.attempt,
        "segment_index": task.segment_index,
        "output": output,
        "summary": summary,
        "summary_is_transcript": is_transcript,
        "finish_reason": completion.finish_reason,
        "usage": completion.usage.model_dump(),
        "model": completion.model,
        "prompt_versions": {"segment": version, "summary": summary_version},
        "latency_s": completion.latency_s,
        "created_at": now(),
    }
    await ctx.store.save_segment(doc)
    return doc


async def _call(ctx: ServiceContext, paradigm: Paradigm[Any], call: UnitCall,
                sample: Sample, seed: int, priority: int, purpose: str, attempt: int
                ) -> tuple[Any, str]:
    """One generator call of the paradigm's: its prompt rendered, the reply decoded."""
    prompt = paradigm.prompts.render(call.template, **call.variables)
    temperature = call.temperature if call.temperature is not None else \
        attempt_temperature(ctx.settings.llm_temperature, attempt)
    completion = await ctx.llm("generator").chat(
        prompt.messages, max_tokens=call.max_tokens, temperature=temperature,
        frequency_penalty=ctx.settings.llm_frequency_penalty if purpose == "segment" else None,
        seed=seed, json_schema=call.json_schema, schema_name=call.schema_name,
        scope=CallScope.for_sample(sample, prompt.version, purpose=purpose, priority=priority),
    )
    return completion, prompt.version
