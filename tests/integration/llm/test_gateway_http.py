"""Retries, backoff, deadlines, concurrency and rate limits against the scripted server."""

from __future__ import annotations

import asyncio
import logging

import pytest
from pydantic import SecretStr

from longweave.llm import DeadlineExceeded, LLMError
from longweave.observability import ServiceMetrics
from longweave.testing.scripted_llm_server import ScriptedLLMServer
from support.gateway import HELLO, FakeClock
from support.mesh import metric_value

pytestmark = pytest.mark.integration

OK = {"content": "Hello there, friend."}


def script(server: ScriptedLLMServer, *replies: dict) -> None:
    server.set_rules([{"name": "r", "match": "", "replies": list(replies)}])


@pytest.mark.parametrize("http_client", ["native", "httpx"])
async def test_a_call_returns_text_usage_and_model(scripted, make_client, http_client):
    script(scripted, OK)
    completion = await make_client(scripted, http_client=http_client).chat(HELLO, max_tokens=20)
    assert completion.text == "Hello there, friend."
    assert completion.finish_reason == "stop" and completion.attempts == 1
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (2, 3)
    assert not completion.usage_estimated and completion.model == "test-model"


async def test_usage_is_counted_when_the_endpoint_reports_none(scripted, make_client):
    script(scripted, {**OK, "usage": False})
    completion = await make_client(scripted).chat(HELLO, max_tokens=20)
    assert completion.usage_estimated
    assert completion.usage.completion_tokens == 5  # 20 characters / 4
    assert completion.usage.prompt_tokens > 0


async def test_429_is_retried_after_the_servers_retry_after(scripted, make_client):
    script(scripted, {"status": 429, "retry_after": 2.5}, OK)
    metrics = ServiceMetrics("generator")
    client = make_client(scripted, metrics=metrics)
    completion = await client.chat(HELLO, max_tokens=20)
    assert completion.attempts == 2 and scripted.stats()["requests_total"] == 2
    (delay,) = client._sleep.delays
    assert 2.5 <= delay <= 2.5 * 1.1
    text = metrics.exposition().decode()
    assert metric_value(text, "longweave_llm_retries_total", role="generator",
                        cause="rate_limited") == 1
    assert metric_value(text, "longweave_llm_errors_total", error_class="rate_limited") == 1
    assert metric_value(text, "longweave_llm_requests_total", outcome="ok") == 1


async def test_5xx_disconnects_and_timeouts_are_retried_with_growing_backoff(
        scripted, make_client):
    script(scripted, {"status": 500}, {"status": 503}, {"fault": "disconnect"},
           {"fault": "timeout"}, OK)
    metrics = ServiceMetrics("generator")
    client = make_client(scripted, metrics=metrics, timeout_s=0.5, max_retries=4)
    completion = await client.chat(HELLO, max_tokens=20)
    assert completion.attempts == 5 and scripted.stats()["requests_total"] == 5
    ceilings = [0.5, 1.0, 2.0, 4.0]  # 0.5 s doubling, equal jitter
    assert all(c / 2 <= d <= c for d, c in zip(client._sleep.delays, ceilings, strict=True))
    text = metrics.exposition().decode()
    for error_class, n in [("server_error", 2), ("connection", 1), ("timeout", 1)]:
        assert metric_value(text, "longweave_llm_errors_total", error_class=error_class) == n
        assert metric_value(text, "longweave_llm_retries_total", cause=error_class) == n


@pytest.mark.parametrize("status", [400, 401, 404, 422])
async def test_other_4xx_are_never_retried(scripted, make_client, status):
    script(scripted, {"status": status}, OK)
    client = make_client(scripted)
    with pytest.raises(LLMError) as failure:
        await client.chat(HELLO, max_tokens=20)
    assert failure.value.error_class == "rejected" and f"HTTP {status}" in str(failure.value)
    assert scripted.stats()["requests_total"] == 1 and client._sleep.delays == []


async def test_gives_up_after_max_retries(scripted, make_client):
    script(scripted, {"status": 502})
    client = make_client(scripted, max_retries=2)
    with pytest.raises(LLMError) as failure:
        await client.chat(HELLO, max_tokens=20)
    assert failure.value.error_class == "server_error"
    assert scripted.stats()["requests_total"] == 3 and len(client._sleep.delays) == 2


async def test_429s_do_not_use_up_the_retries(scripted, make_client):
    script(scripted, *[{"status": 429, "retry_after": 0.1}] * 6, {"status": 500}, OK)
    client = make_client(scripted, max_retries=1)
    assert (await client.chat(HELLO, max_tokens=20)).attempts == 8
    script(scripted, {"status": 500}, {"status": 429, "retry_after": 0.1}, {"status": 500}, OK)
    with pytest.raises(LLMError) as failure:
        await client.chat(HELLO, max_tokens=20)
    assert failure.value.error_class == "server_error"


async def test_deadline_bounds_a_hanging_request(scripted, make_client):
    script(scripted, {"fault": "timeout"})
    client = make_client(scripted, timeout_s=30, call_deadline_s=0.5)
    with pytest.raises(DeadlineExceeded):
        await client.chat(HELLO, max_tokens=20)
    assert scripted.stats()["requests_total"] == 1  # the attempt was cut at the deadline


async def test_no_wait_for_a_retry_after_beyond_the_deadline(scripted, make_client):
    script(scripted, {"status": 429, "retry_after": 60})
    client = make_client(scripted, call_deadline_s=10)
    with pytest.raises(DeadlineExceeded):
        await client.chat(HELLO, max_tokens=20)
    assert client._sleep.delays == [] and scripted.stats()["requests_total"] == 1


async def test_the_concurrency_cap_holds_at_the_server():
    async with ScriptedLLMServer(default_latency_s=0.1) as server:
        from longweave.llm import LLMClient
        from longweave.settings import LLMEndpoint

        client = LLMClient(LLMEndpoint(role="judge", base_url=server.base_url, model="m",
                                       max_concurrency=3))
        try:
            await asyncio.gather(*(client.chat(HELLO, max_tokens=5) for _ in range(12)))
        finally:
            await client.aclose()
        stats = server.stats()
        assert stats["requests_total"] == 12 and stats["max_concurrency"] == 3


async def test_429s_shrink_concurrency_once_per_event_and_successes_grow_it_back(
        scripted, make_client):
    scripted.default_latency_s = 0.02
    script(scripted, *[{"status": 429, "retry_after": 0, "latency_s": 0}] * 8, OK)
    metrics = ServiceMetrics("generator")
    client = make_client(scripted, metrics=metrics, max_concurrency=8)
    aimd = client.gate.controller
    await asyncio.gather(*(client.chat(HELLO, max_tokens=5) for _ in range(8)))
    # Eight 429s from one burst, all issued under the old limit: one decrease (8 -> 6).
    assert aimd.epoch == 1 and aimd.current < 8
    gauge = metric_value(metrics.exposition().decode(), "longweave_llm_concurrency_limit",
                         role="generator")
    assert gauge == aimd.current
    for _ in range(10):
        await asyncio.gather(*(client.chat(HELLO, max_tokens=5) for _ in range(8)))
    assert aimd.current == 8 and aimd.epoch == 1
    assert metric_value(metrics.exposition().decode(), "longweave_llm_concurrency_limit") == 8


async def test_requests_per_minute_pace_calls(scripted, make_client):
    script(scripted, OK)
    fake = FakeClock()
    metrics = ServiceMetrics("generator")
    client = make_client(scripted, metrics=metrics, requests_per_minute=120, clock=fake.clock,
                         sleep=fake.sleep)  # 2/s, a burst of 2
    for _ in range(6):
        await client.chat(HELLO, max_tokens=5)
    assert sum(fake.delays) == pytest.approx(2.0)  # 4 calls × 0.5 s
    assert metric_value(metrics.exposition().decode(), "longweave_llm_throttle_seconds_total"
                        ) == pytest.approx(2.0)


async def test_tokens_per_minute_pace_by_prompt_and_max_tokens(scripted, make_client):
    script(scripted, OK)
    fake = FakeClock()
    client = make_client(scripted, tokens_per_minute=6000, clock=fake.clock, sleep=fake.sleep)
    # 100 tokens/s, a bucket of 100. Each call is charged 7 prompt + 100 max tokens up front
    # and settled at the 5 it used, so each waits only 0.05 s for the bucket to be full again
    # (without settling, the second and third would wait 1.07 s each).
    for _ in range(3):
        await client.chat(HELLO, max_tokens=100)
    assert sum(fake.delays) == pytest.approx(0.1)
    assert scripted.stats()["requests_total"] == 3


async def test_a_dropped_keepalive_connection_is_replaced_transparently(make_client):
    server = await ScriptedLLMServer().start()
    port = server.port
    client = make_client(server)
    script(server, OK)
    assert (await client.chat(HELLO, max_tokens=5)).attempts == 1
    await server.stop()  # closes the idle keep-alive connection the client holds
    server = await ScriptedLLMServer(port=port).start()
    try:
        script(server, OK)
        completion = await client.chat(HELLO, max_tokens=5)
        assert completion.attempts == 1 and client._sleep.delays == []
    finally:
        await server.stop()


async def test_api_key_is_sent_but_never_shown(scripted, make_client, caplog):
    key = "sk-test-PLANTED-0123456789abcdef"
    script(scripted, {"status": 401, "error_message": f"Incorrect API key provided: {key}"})
    metrics = ServiceMetrics("generator")
    client = make_client(scripted, metrics=metrics, api_key=SecretStr(key))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(LLMError) as failure:
        await client.chat(HELLO, max_tokens=5)
    assert "Incorrect API key provided: [redacted]" in str(failure.value)
    for text in (str(failure.value), repr(client.endpoint), caplog.text,
                 metrics.exposition().decode()):
        assert key not in text
