import pytest
from pydantic import ValidationError

from longweave.contracts import DeadLetter, RegenerationRequest, ScenarioRequest
from longweave.contracts.messages import MESSAGE_TYPES


def request(**overrides):
    fields = {"request_id": "r1", "run_id": "run-1", "count": 3}
    return ScenarioRequest.model_validate({**fields, **overrides})


def test_every_message_carries_a_schema_version():
    for model in MESSAGE_TYPES:
        assert "schema_version" in model.model_json_schema()["properties"], model.__name__


def test_defaults_make_a_conversation_request_with_the_paradigms_own_defaults():
    r = request()
    assert (r.paradigm, r.objective, r.params, r.complexity) == ("conversation", "sft", {},
                                                                 None)


@pytest.mark.parametrize("bad", [
    {"count": 0}, {"count": -5}, {"count": 10**9}, {"paradigm": "Not A Name"},
    {"params": "segments=2"}, {"params": {"blob": "x" * 130_000}},
    {"run_id": "has spaces"}, {"unknown_field": 1}, {"count": "three"}, {"schema_version": 3},
])
def test_invalid_requests_are_rejected_with_a_reason(bad):
    with pytest.raises(ValidationError) as info:
        request(**bad)
    assert info.value.errors()


def test_regeneration_needs_a_reason():
    with pytest.raises(ValidationError):
        RegenerationRequest(run_id="r", sample_id="s", attempt=1, stage="judge", reasons=[])


def test_attempts_exhausted_letters_name_their_sample():
    with pytest.raises(ValidationError, match="must name its sample"):
        DeadLetter(dead_letter_id="x", kind="attempts_exhausted", source_topic="t",
                   reasons=["out of attempts"])


@pytest.mark.parametrize("old", [
    {"segments": 4, "turns_per_segment": 3}, {"target_tokens": 900}, {"schema_version": 1},
])
def test_a_schema_version_1_request_is_told_how_to_write_the_new_shape(old):
    with pytest.raises(ValidationError) as info:
        request(**old)
    [error] = info.value.errors()
    assert "schema_version 1 request" in error["msg"] and '"params"' in error["msg"]
    for field in set(old) - {"schema_version"}:  # the example carries the user's values
        assert f'"{field}": {old[field]}' in error["msg"]
