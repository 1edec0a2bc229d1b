"""The stored contracts: a record the sink builds is a valid `Record` carrying its
paradigm's content, and one missing a field or of the wrong shape is refused."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from longweave.contracts import AcceptedSample, AxisScore, Judgment, Record, SampleSpec
from longweave.sink.logic import build_record

CREATED = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def parts():
    judgment = Judgment(run_id="run-1", sample_id="run-1-000000", attempt=1,
                        draft_id="run-1-000000:a1", passed=True, model="judge-model",
                        prompt_version="judge@v1", scores={"coherence": AxisScore(
                            score=4, rationale="fine")})
    accepted = AcceptedSample(run_id="run-1", sample_id="run-1-000000", attempt=1,
                              draft_id="run-1-000000:a1", judgment=judgment)
    sample = {"_id": "run-1-000000", "run_id": "run-1", "scenario_id": "sc", "scenario": {},
              "noise": ["a", "b"], "created_at": CREATED,
              "spec": SampleSpec(paradigm="conversation", units=1, params={
                  "segments": 1, "turns_per_segment": 1}).model_dump(mode="json")}
    draft = {"messages": [{"role": "user", "content": "hi"},
                          {"role": "assistant", "content": "hello"}],
             "models": ["gen-model"], "prompt_versions": {"segment": "s@v1"},
             "validation": {"passed": True, "checks": []}}
    return accepted, sample, draft


def test_the_sinks_record_is_a_valid_record_with_its_paradigms_content():
    accepted, sample, draft = parts()
    record = build_record(accepted, sample, draft, {"prompt_tokens": 5, "completion_tokens": 7,
                                                    "calls": 2}, 1.5,
                          CREATED + timedelta(seconds=3))
    assert record["_id"] == "run-1-000000" and record["messages"] == draft["messages"]
    assert record["spec"]["max_attempts"] == 3 and record["objective"] == "sft"
    assert record["timings"]["wall_s"] == 3.0 and record["tokens"]["prompt"] == 5
    assert Record.model_validate(record).spec == SampleSpec.model_validate(record["spec"])


def test_a_record_missing_a_field_or_of_the_wrong_shape_is_refused():
    accepted, sample, draft = parts()
    with pytest.raises(ValidationError, match="units"):
        build_record(accepted, {**sample, "spec": {**sample["spec"], "units": 0}}, draft,
                     {"prompt_tokens": 0, "completion_tokens": 0, "calls": 0}, 0.0, CREATED)
    with pytest.raises(ValidationError, match="models.generator"):
        build_record(accepted, sample, {**draft, "models": "gen-model"},
                     {"prompt_tokens": 0, "completion_tokens": 0, "calls": 0}, 0.0, CREATED)
