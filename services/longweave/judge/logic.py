"""Pure judging logic: rubric axes per paradigm, the reply schema and the decision rule."""

from __future__ import annotations

from typing import Any

from longweave.contracts import AxisScore

RUBRICS: dict[str, dict[str, str]] = {
    "conversation": {
        "coherence": "turns follow from one another; nothing contradicts earlier turns",
        "scenario_grounding": "the conversation is about the given situation, place and people",
        "tone_fidelity": "the assistant keeps the requested tone throughout",
        "instruction_compliance": "the assistant does what the user asks, within its role",
    },
}

RATIONALE_MAX_CHARS = 400


def judge_schema(axes: list[str]) -> dict[str, Any]:
    axis = {
        "type": "object",
        "properties": {
            "score": {"type": "integer", "minimum": 1, "maximum": 5},
            "rationale": {"type": "string", "minLength": 1, "maxLength": RATIONALE_MAX_CHARS},
        },
        "required": ["score", "rationale"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {name: axis for name in axes},
        "required": list(axes),
        "additionalProperties": False,
    }


def scores_from_reply(parsed: dict[str, Any], axes: list[str]) -> dict[str, AxisScore]:
    return {name: AxisScore.model_validate(parsed[name]) for name in axes}


def decide(scores: dict[str, AxisScore], min_score: int) -> list[str]:
    """The failing axes: every axis must reach `min_score`. Empty means accepted."""
    return [name for name, s in scores.items() if s.score < min_score]


def feedback(scores: dict[str, AxisScore], failed_axes: list[str], min_score: int) -> list[str]:
    return [
        f"judge: {name} scored {scores[name].score}/5 (needs {min_score}): "
        f"{scores[name].rationale}"
        for name in failed_axes
    ]
