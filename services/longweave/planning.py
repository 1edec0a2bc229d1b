"""Which units a sample's attempt generates, in what order, and what each one continues
from: shared by the services that ask for units (stitcher, generator on a regeneration).
A sample's ``spec.units`` is how many units its record takes; its paradigm's `Plan` says
how they depend on each other: every plan is a sequence of stages (`unit_stages`), the
units of one stage written at once, when every unit of the stages before it is in.

A `Sample` keeps, per attempt, the segments written in it
(``segments.a<attempt>.s<index>``, a `SegmentRef`); a regenerated attempt writes
only the segments being redone and reuses the latest earlier version of the others."""

from __future__ import annotations

import hashlib
import itertools
import json
from enum import StrEnum
from typing import Any

from longweave.contracts.records import Sample, SampleSpec, SegmentRef


class Plan(StrEnum):
    """How a record's units depend on each other."""

    SEQUENTIAL = "sequential"  # unit i continues from units < i (running context)
    INDEPENDENT = "independent"  # every unit at once (fan-out), assembled when all are in
    # Every unit but the last at once; the last (the reduce) when they are all in, reading
    # their outputs. Redoing any fan-out unit redoes the reduce.
    FAN_OUT_REDUCE = "fan_out_reduce"
    # Stages of units, as many per stage as the sample's material asks (``spec.stages``,
    # from `Paradigm.stages`): each stage at once, once every unit before it is in,
    # reading their outputs (e.g. chapter outlines → a summary → a claim → its check).
    STAGED = "staged"


def unit_stages(spec: SampleSpec, plan: Plan) -> list[range]:
    """The record's units in stages, in order: a stage is written once every unit of the
    stages before it is in (sequential: one unit per stage)."""
    n_units = spec.units
    if plan is Plan.SEQUENTIAL:
        return [range(i, i + 1) for i in range(n_units)]
    if plan is Plan.FAN_OUT_REDUCE and n_units > 1:
        return [range(n_units - 1), range(n_units - 1, n_units)]
    if plan is Plan.STAGED:
        if sum(spec.stages) != n_units or not all(spec.stages):
            raise ValueError(f"spec.stages {spec.stages} do not split {n_units} units")
        ends = list(itertools.accumulate(spec.stages))
        return [range(end - size, end) for size, end in zip(spec.stages, ends, strict=True)]
    return [range(n_units)]


def _stage_of(stages: list[range], index: int) -> int:
    return next(k for k, stage in enumerate(stages) if index in stage)


def inputs_of(spec: SampleSpec, plan: Plan, index: int) -> range:
    """The units whose outputs unit `index` reads (`UnitInput.inputs`): every unit of the
    stages before its own; none in a sequential plan (it reads the running context)."""
    if plan is Plan.SEQUENTIAL:
        return range(0)
    stages = unit_stages(spec, plan)
    return range(stages[_stage_of(stages, index)].start)

# A judge call is one step from a finished sample: it goes before any unit.
JUDGING_PRIORITY = -1_000_000


def call_priority(attempt: int, unit_index: int) -> int:
    """Where a unit's LLM call queues for the endpoint's slots (lower is served sooner): a
    sample under way (a later unit, or a regenerated attempt) before one not yet started,
    so samples finish instead of piling up half done."""
    return -(unit_index + attempt - 1)


def task_key(sample_id: str, index: int) -> str:
    """The Kafka key of a unit's task: per unit, not per sample, so the units of an
    independent plan are written at once (a consumer runs one message per key at a time);
    a sequential plan has one task of a sample out at a time anyway."""
    return f"{sample_id}:s{index}"


def regeneration_origin(request: Any) -> str:
    """Which failure a regeneration request reports (its stage and reasons): the first one
    of an attempt begins the next attempt, a redelivery of it finds that attempt, and the
    others (units of an independent plan failing together) are stale."""
    digest = hashlib.sha256(json.dumps([request.stage, request.reasons]).encode())
    return f"{request.stage}:{digest.hexdigest()[:16]}"


def segments_to_generate(n_segments: int, redo_indexes: list[int]) -> list[int]:
    """The segments an attempt writes: all of them, or only those being redone."""
    return sorted(set(redo_indexes)) if redo_indexes else list(range(n_segments))


def redo_after_generation_failure(
    spec: SampleSpec, redo_indexes: list[int], failed_index: int,
    plan: Plan = Plan.SEQUENTIAL
) -> list[int]:
    """What the next attempt writes after unit `failed_index` could not be written: every
    planned unit of its stage (others of the stage may be under way or lost with it) and
    of the stages after it (never written in this attempt); the stages before it are in.
    Sequential: the failed unit and the later ones."""
    stages = unit_stages(spec, plan)
    first = stages[_stage_of(stages, failed_index)].start
    return [i for i in segments_to_generate(spec.units, redo_indexes) if i >= first]


def units_to_redo(spec: SampleSpec, named: list[int], plan: Plan) -> list[int]:
    """The units a regeneration redoes when checks named `named` (empty: all of them): a
    unit redone makes every later stage, which read it, stale too (not in a sequential
    plan, whose later units keep their text)."""
    if not named or plan is Plan.SEQUENTIAL:
        return sorted(set(named))
    stages = unit_stages(spec, plan)
    first = min(_stage_of(stages, i) for i in named)
    return sorted({*named, *(i for stage in stages[first + 1:] for i in stage)})


def current_segment_refs(sample: Sample) -> dict[int, SegmentRef]:
    """For each segment index, the newest one written up to the current attempt."""
    refs: dict[int, SegmentRef] = {}
    for attempt in range(1, sample.attempt + 1):
        for key, ref in sample.segments.get(f"a{attempt}", {}).items():
            refs[int(key.removeprefix("s"))] = ref
    return refs


def with_segment(sample: Sample, attempt: int, index: int, ref: SegmentRef) -> Sample:
    """The sample with segment `index` of `attempt` noted (the store gets the same write)."""
    by_attempt = dict(sample.segments)
    by_attempt[f"a{attempt}"] = {**by_attempt.get(f"a{attempt}", {}), f"s{index}": ref}
    return sample.model_copy(update={"segments": by_attempt})


def first_segments(sample: Sample, plan: Plan) -> list[int]:
    """The units to ask for when an attempt begins: the planned units of the first stage
    that has any (sequential: the first planned unit; independent: every planned one)."""
    planned = set(segments_to_generate(sample.spec.units, sample.redo_indexes))
    for stage in unit_stages(sample.spec, plan):
        if picked := [i for i in stage if i in planned]:
            return picked
    return []


def next_segments(sample: Sample, written_index: int, plan: Plan = Plan.SEQUENTIAL
                  ) -> list[int]:
    """The units to ask for once `written_index` is noted on `sample`: when that completes
    its stage, the planned units of the next stage that has any, unless they were asked
    for already (a redelivered segment); else none."""
    stages = unit_stages(sample.spec, plan)
    missing = set(missing_segments(sample))
    at = _stage_of(stages, written_index)
    if any(i in missing for i in stages[at]):
        return []
    planned = set(segments_to_generate(sample.spec.units, sample.redo_indexes))
    for stage in stages[at + 1:]:
        if picked := [i for i in stage if i in planned]:
            return picked if all(i in missing for i in picked) else []
    return []


def context_before(sample: Sample, index: int) -> tuple[str, bool]:
    """The context segment `index` continues from, and whether it is a verbatim transcript:
    each segment carries the conversation up to it (verbatim while short, else a summary),
    so the one before `index` is all the next segment needs (prompt cost stays linear)."""
    if index == 0:
        return "", False
    ref = current_segment_refs(sample).get(index - 1)
    return ("", False) if ref is None else (ref.summary, ref.transcript)


def missing_segments(sample: Sample) -> list[int]:
    """Units the current attempt lacks: those it plans and has not written yet, and any
    no attempt has written (an earlier version of a unit it does not redo is reused)."""
    n_units, attempt = sample.spec.units, sample.attempt
    refs = current_segment_refs(sample)
    written_now = sample.segments.get(f"a{attempt}", {})
    planned = set(segments_to_generate(n_units, sample.redo_indexes))
    return [i for i in range(n_units)
            if i not in refs or (i in planned and f"s{i}" not in written_now)]
