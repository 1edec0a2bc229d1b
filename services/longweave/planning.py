"""Which units a sample's attempt generates, in what order, and what each one continues
from: shared by the services that ask for units (stitcher, generator on a regeneration).
A sample's ``spec.units`` is how many units its record takes; its paradigm's `Plan` says
how they depend on each other.

A `Sample` keeps, per attempt, the segments written in it
(``segments.a<attempt>.s<index>``, a `SegmentRef`); a regenerated attempt writes
only the segments being redone and reuses the latest earlier version of the others."""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Any

from longweave.contracts.records import Sample, SegmentRef


class Plan(StrEnum):
    """How a record's units depend on each other."""

    SEQUENTIAL = "sequential"  # unit i continues from units < i (running context)
    INDEPENDENT = "independent"  # every unit at once (fan-out), assembled when all are in
    # Every unit but the last at once; the last (the reduce) when they are all in, reading
    # their outputs. Redoing any fan-out unit redoes the reduce.
    FAN_OUT_REDUCE = "fan_out_reduce"


def reduce_index(n_units: int, plan: Plan) -> int | None:
    return n_units - 1 if plan is Plan.FAN_OUT_REDUCE and n_units > 1 else None

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
    n_segments: int, redo_indexes: list[int], failed_index: int, plan: Plan = Plan.SEQUENTIAL
) -> list[int]:
    """What the next attempt writes after unit `failed_index` could not be written. In a
    sequential plan, every later planned unit goes with it (those were never written in
    this attempt); in the others, units of the attempt may be under way or lost with it,
    so every planned unit is redone."""
    first = failed_index if plan is Plan.SEQUENTIAL else 0
    return [i for i in segments_to_generate(n_segments, redo_indexes) if i >= first]


def units_to_redo(n_units: int, named: list[int], plan: Plan) -> list[int]:
    """The units a regeneration redoes when checks named `named` (empty: all of them): a
    fan-out unit redone makes the reduce that read it stale too."""
    reduce = reduce_index(n_units, plan)
    if named and reduce is not None and any(i != reduce for i in named):
        return sorted({*named, reduce})
    return sorted(set(named))


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
    """The units to ask for when an attempt begins: the first planned one of a sequential
    plan; every planned one of an independent plan; every planned fan-out unit (or, when
    only the reduce is redone, the reduce)."""
    planned = segments_to_generate(sample.spec.units, sample.redo_indexes)
    if plan is Plan.SEQUENTIAL:
        return planned[:1]
    reduce = reduce_index(sample.spec.units, plan)
    return [i for i in planned if i != reduce] or planned


def next_segment(sample: Sample, written_index: int, plan: Plan = Plan.SEQUENTIAL
                 ) -> int | None:
    """The unit to ask for once `written_index` is noted on `sample`, or None. Sequential:
    the next planned unit. Independent: none (all were asked for at once). Fan-out/reduce:
    the reduce, once every fan-out unit is in and the reduce is planned in this attempt."""
    n_units = sample.spec.units
    planned = segments_to_generate(n_units, sample.redo_indexes)
    if plan is Plan.SEQUENTIAL:
        later = [i for i in planned if i > written_index]
        return later[0] if later else None
    reduce = reduce_index(n_units, plan)
    if reduce is None or written_index == reduce or reduce not in planned:
        return None
    return reduce if missing_segments(sample) == [reduce] else None


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
