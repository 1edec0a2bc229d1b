"""Which units a sample's attempt generates, in what order, and what each one continues
from: shared by the services that ask for units (stitcher, generator on a regeneration).
A sample's ``spec.units`` is how many units its record takes; its paradigm's plan says
whether they are asked for one after another (sequential) or all at once (independent).

A sample document keeps, per attempt, the segments written in it
(``segments.a<attempt>.s<index> = {id, summary, transcript}``); a regenerated attempt writes
only the segments being redone and reuses the latest earlier version of the others."""

from __future__ import annotations

from typing import Any

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


def segments_to_generate(n_segments: int, redo_indexes: list[int]) -> list[int]:
    """The segments an attempt writes: all of them, or only those being redone."""
    return sorted(set(redo_indexes)) if redo_indexes else list(range(n_segments))


def redo_after_generation_failure(
    n_segments: int, redo_indexes: list[int], failed_index: int
) -> list[int]:
    """A segment that could not be written takes every later planned segment with it:
    those were never written in this attempt."""
    return [i for i in segments_to_generate(n_segments, redo_indexes) if i >= failed_index]


def current_segment_refs(sample: dict[str, Any]) -> dict[int, dict[str, str]]:
    """For each segment index, the newest {id, summary} written up to the current attempt."""
    refs: dict[int, dict[str, str]] = {}
    by_attempt = sample.get("segments", {})
    for attempt in range(1, sample["attempt"] + 1):
        for key, ref in by_attempt.get(f"a{attempt}", {}).items():
            refs[int(key.removeprefix("s"))] = ref
    return refs


def with_segment(sample: dict[str, Any], attempt: int, index: int, ref: dict[str, Any]
                 ) -> dict[str, Any]:
    """The sample with segment `index` of `attempt` noted (the store gets the same write)."""
    by_attempt = {**sample.get("segments", {})}
    by_attempt[f"a{attempt}"] = {**by_attempt.get(f"a{attempt}", {}), f"s{index}": ref}
    return {**sample, "segments": by_attempt}


def first_segments(sample: dict[str, Any], sequential: bool) -> list[int]:
    """The units to ask for when an attempt begins: the first planned one of a sequential
    plan, every planned one of an independent plan."""
    plan = segments_to_generate(sample["spec"]["units"], sample.get("redo_indexes", []))
    return plan[:1] if sequential else plan


def next_segment(sample: dict[str, Any], written_index: int, sequential: bool = True
                 ) -> int | None:
    """The unit to ask for after `written_index`, or None: an independent plan asked for
    all of its units at once, and a sequential one has none left."""
    if not sequential:
        return None
    plan = segments_to_generate(sample["spec"]["units"], sample.get("redo_indexes", []))
    later = [i for i in plan if i > written_index]
    return later[0] if later else None


def context_before(sample: dict[str, Any], index: int) -> tuple[str, bool]:
    """The context segment `index` continues from, and whether it is a verbatim transcript:
    each segment carries the conversation up to it (verbatim while short, else a summary),
    so the one before `index` is all the next segment needs (prompt cost stays linear)."""
    if index == 0:
        return "", False
    ref = current_segment_refs(sample).get(index - 1, {})
    return ref.get("summary", ""), bool(ref.get("transcript", False))


def missing_segments(sample: dict[str, Any]) -> list[int]:
    refs = current_segment_refs(sample)
    return [i for i in range(sample["spec"]["units"]) if i not in refs]
