import jsonschema
import pytest

from longweave.contracts import AxisScore
from longweave.judge.logic import (
    OVERALL,
    decide,
    feedback,
    judge_schema,
    load_rubric,
    scores_from_reply,
)
from longweave.paradigms import PARADIGMS

RUBRIC = load_rubric(PARADIGMS["conversation"].rubric_path)
AXES = RUBRIC.axis_names


def reply(score_by_axis):
    return {a: {"score": s, "rationale": f"{a} is {s}"} for a, s in score_by_axis.items()}


def scores(**overrides):
    return scores_from_reply(reply({**dict.fromkeys(AXES, 4), **overrides}), AXES)


def test_the_shipped_rubric_names_axes_thresholds_and_an_overall_rule():
    assert {"coherence", "scenario_grounding", "tone_fidelity", "instruction_compliance"} <= set(AXES)
    assert all(1 <= a.min_score <= 5 for a in RUBRIC.axes.values())
    assert RUBRIC.overall["min_mean"] > 0


def test_schema_requires_every_axis_with_a_bounded_score():
    schema = judge_schema(AXES)
    jsonschema.validate(reply(dict.fromkeys(AXES, 4)), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(reply(dict.fromkeys(AXES[:-1], 4)), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(reply(dict.fromkeys(AXES, 6)), schema)


def test_every_axis_must_reach_its_threshold():
    assert decide(scores(), RUBRIC) == []
    assert decide(scores(coherence=2), RUBRIC) == ["coherence"]


def test_the_overall_rule_rejects_a_mediocre_record_that_passes_every_axis():
    all_threes = scores(**dict.fromkeys(AXES, 3))
    assert decide(all_threes, RUBRIC) == [OVERALL]  # mean 3.0 < 3.5


def test_a_request_threshold_replaces_the_rubrics():
    assert decide(scores(coherence=2), RUBRIC, min_score=2) == []
    assert decide(scores(coherence=1), RUBRIC, min_score=2) == ["coherence"]


def test_feedback_quotes_the_rationale_of_each_failed_axis():
    s = {"coherence": AxisScore(score=1, rationale="contradicts turn 2"),
         "tone_fidelity": AxisScore(score=4, rationale="fine")}
    assert feedback(s, ["coherence", OVERALL], RUBRIC) == [
        "judge: coherence scored 1/5 (needs 3): contradicts turn 2",
        "judge: mean score 2.50 is under 3.5"]
