"""The stored contracts: a record the sink builds is a valid `Record` carrying its
paradigm's content; samples and drafts read back what they stored, and one missing a
field or of the wrong shape is refused."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from longweave.contracts import AcceptedSample, AxisScore, Judgment, Record, SampleSpec
from longweave.contracts.records import Draft, Sample
from longweave.sink.logic import build_record
from support.samples import make_draft, make_sample

CREATED = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def parts():
    judgment = Judgment(run_id="run-1", sample_id="run-1-000000", attempt=1,
                        draft_id="run-1-000000:a1", passed=True, model="judge-model",
                        prompt_version="judge@v1", scores={"coherence": AxisScore(
                            score=4, rationale="fine")})
    accepted = AcceptedSample(run_id="run-1", sample_id="run-1-000000", attempt=1,
                              draft_id="run-1-000000:a1", judgment=judgment)
    sample = make_sample("run-1-000000", params={"segments": 1, "turns_per_segment": 1},
                         scenario={}, noise=["a", "b"]).model_copy(
                             update={"created_at": CREATED})
    draft = make_draft({"messages": [{"role": "user", "content": "hi"},
                                     {"role": "assistant", "content": "hello"}]},
                       models=["gen-model"], prompt_versions={"segment": "s@v1"},
                       validation={"passed": True, "checks": []})
    return accepted, sample, draft


def test_the_sinks_record_is_a_valid_record_with_its_paradigms_content():
    accepted, sample, draft = parts()
    record = build_record(accepted, sample, draft, {"prompt_tokens": 5, "completion_tokens": 7,
                                                    "calls": 2}, 1.5,
                          CREATED + timedelta(seconds=3))
    assert record["_id"] == "run-1-000000"
    assert record["messages"] == draft.content(("messages",))["messages"]
    assert record["spec"]["max_attempts"] == 3 and record["objective"] == "sft"
    assert record["timings"]["wall_s"] == 3.0 and record["tokens"]["prompt"] == 5
    assert Record.model_validate(record).spec == SampleSpec.model_validate(record["spec"])


def test_a_sample_or_draft_missing_a_field_or_of_the_wrong_shape_is_refused():
    accepted, sample, draft = parts()
    stored = sample.document()
    with pytest.raises(ValidationError, match="units"):
        Sample.model_validate({**stored, "spec": {**stored["spec"], "units": 0}})
    with pytest.raises(ValidationError, match="stage"):
        Sample.model_validate({**stored, "stage": "lost"})
    with pytest.raises(ValidationError, match="run_id"):
        Sample.model_validate({k: v for k, v in stored.items() if k != "run_id"})
    with pytest.raises(ValidationError, match="models"):
        Draft.model_validate({**draft.document(), "models": "gen-model"})


def test_samples_and_drafts_read_back_what_they_stored():
    accepted, sample, draft = parts()
    assert Sample.model_validate(sample.document()) == sample
    assert "_id" in sample.document() and "accepted_at" not in sample.document()
    assert Draft.model_validate(draft.document()) == draft
    assert draft.content(("messages",))["messages"][1]["content"] == "hello"
    with pytest.raises(LookupError, match="lacks content"):
        draft.content(("pairs",))
    with pytest.raises(ValueError, match="may not use the draft's keys"):
        make_draft({"attempt": 3})
