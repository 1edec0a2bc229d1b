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


def test_defaults_make_a_small_conversation_request():
    r = request()
    assert (r.paradigm, r.objective, r.segments, r.turns_per_segment) == (
        "conversation", "sft", 2, 2)


@pytest.mark.parametrize("bad", [
    {"count": 0}, {"count": -5}, {"count": 10**9}, {"paradigm": "poetry"},
    {"segments": 0}, {"target_tokens": 10}, {"run_id": "has spaces"}, {"unknown_field": 1},
    {"count": "three"}, {"schema_version": 2},
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


def test_assistant_schema_must_be_a_small_valid_json_schema():
    assert request(assistant_json_schema={"type": "object"}).assistant_json_schema
    with pytest.raises(ValidationError, match="not a JSON Schema"):
        request(assistant_json_schema={"type": "no-such-type"})
    with pytest.raises(ValidationError, match="bytes"):
        request(assistant_json_schema={"description": "x" * 70_000})
