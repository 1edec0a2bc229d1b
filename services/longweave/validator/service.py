"""Validator wiring: stitched samples in; validated samples or regeneration requests out."""

from __future__ import annotations

from faststream.kafka import KafkaRouter

import longweave.validator.checks  # noqa: F401 - registers the checks every paradigm shares
from longweave.checks import CheckInput, run_checks
from longweave.contracts import (
    CheckResult,
    RegenerationRequest,
    StitchedSample,
    ValidationReport,
)
from longweave.llm.tokenize import EndpointTokenizer
from longweave.observability import counting_store_operations
from longweave.paradigms import paradigm_of
from longweave.runtime import ServiceContext, new_router
from longweave.validator.dedup import MongoLSHIndex
from longweave.validator.minhash import signature


def regeneration_scope(failures: list[CheckResult]) -> list[int]:
    """Redo only the named segments when every failure names some; else the whole record."""
    if any(not f.segment_indexes for f in failures):
        return []
    return sorted({i for f in failures for i in f.segment_indexes})


async def startup(ctx: ServiceContext) -> None:
    with counting_store_operations(ctx.metrics):
        await MongoLSHIndex(ctx.store).ensure_indexes()


def build_router(ctx: ServiceContext) -> KafkaRouter:
    router = new_router(ctx)
    topics = ctx.topics
    dedup = MongoLSHIndex(ctx.store)
    # Counted with the generator's tokenizer: the record is trained on the target model.
    tokenizer = EndpointTokenizer(ctx.settings.generator_endpoint)
    validated_out = ctx.publisher(router, topics.validated, ValidationReport,
                                 "Samples that passed every rule check")
    regen_out = ctx.publisher(router, topics.regeneration, RegenerationRequest,
                                 "Samples that failed a rule check")

    @ctx.subscriber(router, topics.stitched,
                    description="Run the paradigm's rule checks")
    async def on_stitched(stitched: StitchedSample) -> None:
        sample = await ctx.current_sample(topics.stitched, stitched.sample_id, stitched.attempt)
        if sample is None:
            return
        draft = await ctx.store.get_draft(stitched.draft_id)
        if draft is None:
            raise LookupError(f"draft {stitched.draft_id} is not in the store")
        paradigm = paradigm_of(sample)
        params = paradigm.params_of(sample)
        content = draft.content(paradigm.content_keys)
        parts = paradigm.parts(content, params)
        # What the model wrote: a system message built from the scenario is not counted.
        written = "\n".join(p.content for p in parts if p.role != "system")
        token_count = await tokenizer.count(written)
        sig = signature(paradigm.dedup_text(content) or written)
        checks = run_checks(paradigm.name, CheckInput(
            parts=parts, spec=sample.spec, params=params, finish_reasons=draft.finish_reasons,
            token_count=token_count,
            tokenizer="endpoint" if token_count is not None else "estimate",
            duplicate_of=await dedup.find_duplicate(stitched.run_id, stitched.sample_id, sig),
            layers=sample.layers, content=content, scenario=sample.scenario,
            quality_settings=ctx.settings.quality,
        ))
        report = ValidationReport(
            run_id=stitched.run_id, sample_id=stitched.sample_id, attempt=stitched.attempt,
            draft_id=stitched.draft_id, passed=all(c.passed for c in checks), checks=checks,
        )
        if report.passed:
            # The judge stores the report on the draft, with its judgment, in one write.
            await dedup.add(stitched.run_id, stitched.sample_id, sig)
            ctx.metrics.samples.labels("validation_passed", paradigm.name).inc()
            await ctx.emit(validated_out, report, key=stitched.sample_id)
            return
        ctx.metrics.samples.labels("validation_failed", paradigm.name).inc()
        for failure in report.failures:
            ctx.metrics.check_failures.labels(paradigm.name, failure.name).inc()
        reasons = [f"{f.name}: {f.reason}" for f in report.failures]
        await ctx.store.reject_draft(stitched.draft_id, "validator", reasons, {
            "validation": report.model_dump(mode="json", include={"passed", "checks"}),
        })
        await ctx.emit(regen_out, RegenerationRequest(
            run_id=stitched.run_id, sample_id=stitched.sample_id, attempt=stitched.attempt,
            stage="validator", reasons=reasons,
            segment_indexes=regeneration_scope(report.failures),
        ), key=stitched.sample_id)

    return router
