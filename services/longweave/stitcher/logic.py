"""Pure stitching logic: a sample's segments into one conversation (which segments, and in
what order, is planning.py's)."""

from __future__ import annotations

from typing import Any

from longweave.contracts import Turn


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
