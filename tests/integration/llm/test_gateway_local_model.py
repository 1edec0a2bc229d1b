"""Smoke test against a real model server: the local llama.cpp server (or whatever
LONGWEAVE_LLM_BASE_URL points at), with JSON-Schema-constrained decoding."""

from __future__ import annotations

import pytest

from longweave.llm import LLMClient
from longweave.observability import ServiceMetrics
from longweave.settings import LLMEndpoint
from support.mesh import metric_value

pytestmark = pytest.mark.integration

SCHEMA = {"type": "object", "properties": {"city": {"type": "string", "maxLength": 40},
                                           "country": {"type": "string", "maxLength": 40}},
          "required": ["city", "country"], "additionalProperties": False}


async def test_structured_call_to_the_local_model(servers):
    metrics = ServiceMetrics("generator")
    client = LLMClient(LLMEndpoint(role="generator", base_url=servers.llm_base_url,
                                   model=servers.llm_model, timeout_s=120, max_concurrency=2),
                       metrics)
    try:
        completion = await client.chat(
            [{"role": "user", "content": "Name one city in Kenya and its country, as JSON."}],
            max_tokens=60, temperature=0.0, seed=1, json_schema=SCHEMA, schema_name="place",
        )
    finally:
        await client.aclose()
    assert set(completion.parsed) == {"city", "country"}
    assert completion.finish_reason == "stop" and not completion.usage_estimated
    assert completion.usage.prompt_tokens > 5 and completion.usage.completion_tokens > 3
    assert metric_value(metrics.exposition().decode(), "longweave_llm_requests_total",
                        outcome="ok") >= 1
