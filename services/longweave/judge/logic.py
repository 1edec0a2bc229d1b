"""Pure judging logic: the paradigm's rubric, the reply schema and the decision rule."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from longweave.contracts import AxisScore

OVERALL = "overall"

class Axis(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str
    min_score: int = Field(3, ge=1, le=5)


class Rubric(BaseModel):
    """A paradigm's judging rubric (prompts/<paradigm>/rubric.yaml)."""

    model_config = ConfigDict(extra="forbid")
    version: int
    axes: dict[str, Axis] = Field(min_length=1)
    overall: dict[str, float] = Field(default_factory=dict)

    @property
    def axis_names(self) -> list[str]:
        return list(self.axes)

    def descriptions(self) -> dict[str, str]:
        return {name: axis.description for name, axis in self.axes.items()}


@lru_cache(maxsize=16)
def load_rubric(path: Path) -> Rubric:
    """A paradigm's rubric (`Paradigm.rubric_path`)."""
    return Rubric.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


RATIONALE_MAX_CHARS = 300


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


def decide(scores: dict[str, AxisScore], rubric: Rubric, min_score: int | None = None
           ) -> list[str]:
    """What fails: axes under their threshold, then "overall" if the mean is too low.
    Empty means accepted. A request's `min_score` replaces every threshold, the mean's too."""
    failed = [name for name, s in scores.items()
              if s.score < (min_score if min_score is not None else rubric.axes[name].min_score)]
    min_mean = min_score if min_score is not None else rubric.overall.get("min_mean")
    if min_mean is not None and scores:
        if sum(s.score for s in scores.values()) / len(scores) < min_mean:
            failed.append(OVERALL)
    return failed


def feedback(scores: dict[str, AxisScore], failed: list[str], rubric: Rubric,
             min_score: int | None = None) -> list[str]:
    lines = []
    for name in failed:
        if name == OVERALL:
            mean = sum(s.score for s in scores.values()) / len(scores)
            needed = min_score if min_score is not None else rubric.overall["min_mean"]
            lines.append(f"judge: mean score {mean:.2f} is under {needed}")
            continue
        needed = min_score if min_score is not None else rubric.axes[name].min_score
        lines.append(f"judge: {name} scored {scores[name].score}/5 (needs {needed}): "
                     f"{scores[name].rationale}")
    return lines
