import jsonschema
import pytest

from longweave.contracts import AxisScore
from longweave.judge.logic import RUBRICS, decide, feedback, judge_schema, scores_from_reply

AXES = list(RUBRICS["conversation"])


def reply(score_by_axis):
    return {a: {"score": s, "rationale": f"{a} is {s}"} for a, s in score_by_axis.items()}


def test_schema_requires_every_axis_with_a_bounded_score():
    schema = judge_schema(AXES)
    jsonschema.validate(reply(dict.fromkeys(AXES, 4)), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(reply(dict.fromkeys(AXES[:-1], 4)), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(reply(dict.fromkeys(AXES, 6)), schema)


def test_every_axis_must_reach_the_threshold():
    scores = scores_from_reply(reply({**dict.fromkeys(AXES, 4), "coherence": 2}), AXES)
    assert decide(scores, 3) == ["coherence"]
    assert decide(scores, 2) == []


def test_feedback_quotes_the_rationale_of_each_failed_axis():
    scores = {"coherence": AxisScore(score=1, rationale="contradicts turn 2")}
    assert feedback(scores, ["coherence"], 3) == [
        "judge: coherence scored 1/5 (needs 3): contradicts turn 2"]
