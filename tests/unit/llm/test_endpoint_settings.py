import pytest
from pydantic import ValidationError

from longweave.settings import Settings


def test_the_judge_inherits_the_generators_gateway_settings(monkeypatch):
    monkeypatch.setenv("LONGWEAVE_LLM_MAX_CONCURRENCY", "32")
    monkeypatch.setenv("LONGWEAVE_LLM_REQUESTS_PER_MINUTE", "600")
    monkeypatch.setenv("LONGWEAVE_LLM_CALL_DEADLINE_S", "120")
    monkeypatch.setenv("LONGWEAVE_LLM_HTTP_CLIENT", "httpx")
    settings = Settings()
    for endpoint in (settings.generator_endpoint, settings.judge_endpoint):
        assert endpoint.max_concurrency == 32 and endpoint.requests_per_minute == 600
        assert endpoint.call_deadline_s == 120 and endpoint.http_client == "httpx"
        assert endpoint.tokens_per_minute is None


def test_the_judge_endpoint_can_have_its_own_limits_and_mode(monkeypatch):
    monkeypatch.setenv("LONGWEAVE_JUDGE_MAX_CONCURRENCY", "4")
    monkeypatch.setenv("LONGWEAVE_JUDGE_TOKENS_PER_MINUTE", "200000")
    monkeypatch.setenv("LONGWEAVE_JUDGE_STRUCTURED_OUTPUT", "json_object")
    settings = Settings()
    assert settings.judge_endpoint.max_concurrency == 4
    assert settings.judge_endpoint.tokens_per_minute == 200_000
    assert settings.judge_endpoint.structured_output == "json_object"
    assert settings.generator_endpoint.max_concurrency == 16
    assert settings.generator_endpoint.structured_output == "json_schema"


@pytest.mark.parametrize(("name", "value"), [
    ("LONGWEAVE_LLM_STRUCTURED_OUTPUT", "xml"),
    ("LONGWEAVE_LLM_HTTP_CLIENT", "curl"),
    ("LONGWEAVE_KAFKA_INSTANCE_ID", "has spaces"),
])
def test_invalid_values_are_refused_at_start_up(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_the_key_is_secret_in_every_repr(monkeypatch):
    monkeypatch.setenv("LONGWEAVE_LLM_API_KEY", "sk-test-PLANTED-settings")
    settings = Settings()
    for text in (repr(settings), repr(settings.generator_endpoint),
                 settings.generator_endpoint.model_dump_json(), str(settings.model_dump())):
        assert "sk-test-PLANTED-settings" not in text
