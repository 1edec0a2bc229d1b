"""Pure stitching logic. A sample document keeps, per attempt, the segments written in it
(``segments.a<attempt>.s<index> = {id, summary}``); a regenerated attempt writes only the
segments being redone and reuses the latest earlier version of the others."""

from __future__ import annotations

from typing import Any

from longweave.contracts import Turn
from longweave.generator.logic import segments_to_generate


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


def system_message(scenario: dict[str, Any]) -> Turn:
    geo = scenario["geography"]
    return Turn(
        role="system",
        content=(
            f"Your role: {scenario['assistant_persona']}, serving {scenario['audience']} in "
            f"{geo['city']}, {geo['country']}. Tone: {scenario['tone']}. "
            f"{scenario['guidance']}"
        ),
    )


def stitch(scenario: dict[str, Any], segments: list[list[dict[str, str]]]) -> list[Turn]:
    """One conversation: a system message from the scenario, then every segment's turns."""
    turns = [system_message(scenario)]
    for segment in segments:
        turns.extend(Turn.model_validate(t) for t in segment)
    return turns
