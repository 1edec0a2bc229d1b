from longweave.settings import Settings


def test_judge_falls_back_to_the_generator_endpoint(monkeypatch):
    monkeypatch.setenv("LONGWEAVE_LLM_BASE_URL", "http://gen:1/v1")
    monkeypatch.setenv("LONGWEAVE_LLM_API_KEY", "sk-secret-gen")
    s = Settings()
    assert s.judge_endpoint.base_url == "http://gen:1/v1"
    assert s.judge_endpoint.api_key.get_secret_value() == "sk-secret-gen"
    monkeypatch.setenv("LONGWEAVE_JUDGE_MODEL", "big-judge")
    assert Settings().judge_endpoint.model == "big-judge"


def test_api_keys_never_show_in_reprs_or_dumps(monkeypatch):
    monkeypatch.setenv("LONGWEAVE_LLM_API_KEY", "sk-secret-gen")
    s = Settings()
    assert "sk-secret-gen" not in repr(s)
    assert "sk-secret-gen" not in s.model_dump_json()
    assert "sk-secret-gen" not in repr(s.generator_endpoint)


def test_a_slow_handler_never_outlives_the_poll_interval():
    s = Settings(handler_deadline_s=600)
    assert s.llm_work_deadline_s < s.handler_deadline_s < s.max_poll_interval_ms / 1000


def test_local_stack_addresses_come_from_the_settings():
    s = Settings(kafka_bootstrap="127.0.0.1:39092",
                 mongodb_uri="mongodb://127.0.0.1:37017/?directConnection=true",
                 llm_base_url="http://127.0.0.1:38080/v1")
    assert s.host_port("kafka") == ("127.0.0.1", 39092)
    assert s.host_port("mongodb") == ("127.0.0.1", 37017)
    assert s.host_port("llm") == ("127.0.0.1", 38080)
