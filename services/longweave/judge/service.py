"""Judge wiring: validated samples in; accepted samples or regeneration requests out."""

from __future__ import annotations

from faststream.kafka import KafkaRouter

from longweave.contracts import (
    AcceptedSample,
    Judgment,
    RegenerationRequest,
    ValidationReport,
)
from longweave.contracts.records import Draft, Sample
from longweave.judge.logic import decide, feedback, judge_schema, load_rubric, scores_from_reply
from longweave.llm import CallScope
from longweave.llm.decoding import decoding_seed
from longweave.paradigms import paradigm_of
from longweave.planning import JUDGING_PRIORITY
from longweave.runtime import ServiceContext, new_router


def build_router(ctx: ServiceContext) -> KafkaRouter:
    router = new_router(ctx)
    topics = ctx.topics
    accepted_out = ctx.publisher(router, topics.accepted, AcceptedSample,
                                 "Records that passed the judge")
    regen_out = ctx.publisher(router, topics.regeneration, RegenerationRequest,
                                 "Records the judge rejected, with rationales")

    @ctx.subscriber(router, topics.validated,
                    description="Score a validated record on the paradigm's axes")
    async def on_validated(report: ValidationReport) -> None:
        sample = await ctx.current_sample(topics.validated, report.sample_id, report.attempt)
        if sample is None:
            return
        draft = await ctx.store.get_draft(report.draft_id)
        if draft is None:
            raise LookupError(f"draft {report.draft_id} is not in the store")
        judgment = draft.judgment  # by an earlier delivery
        judged_before = judgment is not None
        if judgment is None:
            work = await ctx.llm_work(report.run_id, report.sample_id,
                                      lambda: _judge(ctx, sample, draft, report))
            if work.stopped:
                return
            if work.failure is not None:
                ctx.metrics.samples.labels("judge_failed", sample.spec.paradigm).inc()
                await ctx.emit(regen_out, RegenerationRequest(
                    run_id=report.run_id, sample_id=report.sample_id, attempt=report.attempt,
                    stage="judge", reasons=[f"judge could not score the record: {work.failure}"],
                ), key=report.sample_id)
                return
            judgment = work.result
        # One write stores the judgment, the validation report it judged and, for a
        # rejection, the reasons.
        verdict = {"judgment": judgment.model_dump(mode="json"),
                   "validation": report.model_dump(mode="json", include={"passed", "checks"})}
        if judgment.passed:
            if not judged_before:
                await ctx.store.update_draft(report.draft_id, verdict)
            ctx.metrics.samples.labels("judge_passed", sample.spec.paradigm).inc()
            await ctx.emit(accepted_out, AcceptedSample(
                run_id=report.run_id, sample_id=report.sample_id, attempt=report.attempt,
                draft_id=report.draft_id, judgment=judgment,
            ), key=report.sample_id)
            return
        ctx.metrics.samples.labels("judge_rejected", sample.spec.paradigm).inc()
        for axis in judgment.failed_axes:
            ctx.metrics.judge_rejections.labels(sample.spec.paradigm, axis).inc()
        reasons = feedback(judgment.scores, judgment.failed_axes,
                           load_rubric(paradigm_of(sample).rubric_path),
                           sample.spec.judge_min_score)
        if not judged_before:
            await ctx.store.reject_draft(report.draft_id, "judge", reasons, verdict)
        await ctx.emit(regen_out, RegenerationRequest(
            run_id=report.run_id, sample_id=report.sample_id, attempt=report.attempt,
            stage="judge", reasons=reasons,
        ), key=report.sample_id)

    return router


async def _judge(ctx: ServiceContext, sample: Sample, draft: Draft, report: ValidationReport
                 ) -> Judgment:
    paradigm = paradigm_of(sample)
    rubric = load_rubric(paradigm.rubric_path)
    axes = rubric.axis_names
    template, variables = paradigm.judge_call(sample, draft.content(paradigm.content_keys))
    prompt = paradigm.prompts.render(template, **variables, axes=rubric.descriptions())
    completion = await ctx.llm("judge").chat(
        prompt.messages, max_tokens=160 * len(axes) + 64, temperature=0.0,
        seed=decoding_seed(report.draft_id, "judge"), json_schema=judge_schema(axes),
        schema_name="judgment",
        scope=CallScope.for_sample(sample, prompt.version, purpose="judge",
                                   priority=JUDGING_PRIORITY),
    )
    scores = scores_from_reply(completion.parsed, axes)
    failed = decide(scores, rubric, sample.spec.judge_min_score)
    return Judgment(
        run_id=report.run_id, sample_id=report.sample_id, attempt=report.attempt,
        draft_id=report.draft_id, passed=not failed, scores=scores, model=completion.model,
        failed_axes=failed, prompt_version=prompt.version,
    )
