"""Which units a sample's attempt generates, in what order, and what each one continues
from: shared by the services that ask for units (stitcher, generator on a regeneration).

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


def next_segment(sample: dict[str, Any], written_index: int) -> int | None:
    """The segment to ask for after `written_index`, or None when the attempt is complete."""
    plan = segments_to_generate(sample["spec"]["segments"], sample.get("redo_indexes", []))
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
    return [i for i in range(sample["spec"]["segments"]) if i not in refs]
