"""Async client for one OpenAI-compatible chat-completions endpoint.

Retries 429/5xx/timeouts/connection errors with jittered exponential backoff (honouring
Retry-After), never retries other 4xx, and counts tokens, latency and errors per role.
The API key is sent as a header and never logged.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from longweave.contracts import Usage
from longweave.llm.parsing import ReplyParseError, parse_structured
from longweave.observability import ServiceMetrics
from longweave.settings import LLMEndpoint

log = logging.getLogger(__name__)

RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class LLMError(RuntimeError):
    """The endpoint could not produce a completion (after retries, or a non-retryable 4xx)."""


@dataclass
class Completion:
    text: str
    finish_reason: str
    usage: Usage
    model: str
    latency_s: float
    attempts: int = 1
    parsed: Any = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


class LLMClient:
    def __init__(
        self,
        endpoint: LLMEndpoint,
        metrics: ServiceMetrics | None = None,
        *,
        rng: random.Random | None = None,
        max_backoff_s: float = 30.0,
    ) -> None:
        self.endpoint = endpoint
        self.metrics = metrics
        self._rng = rng or random.Random()
        self._max_backoff_s = max_backoff_s
        headers = {}
        if endpoint.api_key is not None:
            headers["Authorization"] = f"Bearer {endpoint.api_key.get_secret_value()}"
        self._http = httpx.AsyncClient(
            base_url=endpoint.base_url.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(endpoint.timeout_s, connect=10.0),
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def chat(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int,
        temperature: float = 0.7,
        seed: int | None = None,
        frequency_penalty: float | None = None,
        json_schema: dict[str, Any] | None = None,
        schema_name: str = "reply",
    ) -> Completion:
        """One completion. With `json_schema`, the reply is parsed and validated into
        `Completion.parsed`; a reply that fails is asked for once more with the error."""
        body: dict[str, Any] = {
            "model": self.endpoint.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        if seed is not None:
            body["seed"] = seed
        if frequency_penalty:
            body["frequency_penalty"] = frequency_penalty
        if json_schema is None:
            return await self._post(body)
        body = self._with_response_format(body, json_schema, schema_name)
        completion = await self._post(body)
        try:
            completion.parsed = parse_structured(
                completion.text, completion.finish_reason, json_schema
            )
            return completion
        except ReplyParseError as first_error:
            if completion.finish_reason == "length":
                raise
            # One re-ask, carrying the validation error.
            retry_body = dict(body)
            retry_body["messages"] = [
                *messages,
                {"role": "assistant", "content": completion.text},
                {"role": "user", "content": f"That reply was invalid: {first_error}. "
                 "Reply again with only the corrected JSON."},
            ]
            second = await self._post(retry_body)
            second.usage = completion.usage + second.usage
            second.parsed = parse_structured(second.text, second.finish_reason, json_schema)
            return second

    def _with_response_format(
        self, body: dict[str, Any], schema: dict[str, Any], name: str
    ) -> dict[str, Any]:
        mode = self.endpoint.structured_output
        if mode == "json_schema":
            return {**body, "response_format": {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": schema, "strict": True},
            }}
        if mode == "json_object":
            return {**body, "response_format": {"type": "json_object"}}
        return body

    async def _post(self, body: dict[str, Any]) -> Completion:
        role = self.endpoint.role
        started = time.perf_counter()
        attempt = 0
        while True:
            attempt += 1
            cause, retry_after = await self._try_once(body)
            if isinstance(cause, Completion):
                cause.latency_s = time.perf_counter() - started
                cause.attempts = attempt
                self._account(cause)
                return cause
            if attempt > self.endpoint.max_retries or not _retryable(cause):
                self._count("llm_requests", role, "error")
                raise LLMError(f"{role} endpoint failed after {attempt} attempt(s): {cause}")
            self._count_retry(role, cause)
            await asyncio.sleep(self._backoff(attempt, retry_after))

    async def _try_once(self, body: dict[str, Any]) -> tuple[Completion | str, float | None]:
        """One HTTP request: a Completion, or a retry cause with an optional Retry-After."""
        in_flight = self.metrics.llm_in_flight.labels(self.endpoint.role) if self.metrics else None
        if in_flight:
            in_flight.inc()
        try:
            response = await self._http.post("/chat/completions", json=body)
        except httpx.TimeoutException:
            return "timeout", None
        except httpx.TransportError as exc:
            return f"connection_error:{type(exc).__name__}", None
        finally:
            if in_flight:
                in_flight.dec()
        if response.status_code in RETRYABLE_STATUS:
            return f"http_{response.status_code}", _retry_after(response)
        if response.status_code >= 400:
            return f"rejected_http_{response.status_code}: {response.text[:300]}", None
        try:
            payload = response.json()
            choice = payload["choices"][0]
            usage = payload.get("usage") or {}
            return Completion(
                text=choice["message"].get("content") or "",
                finish_reason=choice.get("finish_reason") or "stop",
                usage=Usage(
                    prompt_tokens=usage.get("prompt_tokens", 0),
                    completion_tokens=usage.get("completion_tokens", 0),
                ),
                model=payload.get("model") or self.endpoint.model,
                latency_s=0.0,
                raw=payload,
            ), None
        except (ValueError, KeyError, IndexError, TypeError):
            return "malformed_response", None

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self._max_backoff_s * 4)
        ceiling = min(self._max_backoff_s, 0.5 * 2 ** (attempt - 1))
        return self._rng.uniform(ceiling / 2, ceiling)

    def _account(self, completion: Completion) -> None:
        if not self.metrics:
            return
        role = self.endpoint.role
        self.metrics.llm_requests.labels(role, "ok").inc()
        self.metrics.llm_latency.labels(role).observe(completion.latency_s)
        self.metrics.llm_tokens.labels(role, "prompt").inc(completion.usage.prompt_tokens)
        self.metrics.llm_tokens.labels(role, "completion").inc(completion.usage.completion_tokens)

    def _count(self, family: str, role: str, outcome: str) -> None:
        if self.metrics:
            getattr(self.metrics, family).labels(role, outcome).inc()

    def _count_retry(self, role: str, cause: str) -> None:
        log.warning("%s endpoint: retrying after %s", role, cause)
        if self.metrics:
            self.metrics.llm_retries.labels(role, cause.split(":")[0]).inc()


def _retryable(cause: str) -> bool:
    """Only 4xx rejections are final; 429/5xx, timeouts and connection errors are retried."""
    return not cause.startswith("rejected_")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
