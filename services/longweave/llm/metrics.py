"""The gateway's metrics for one endpoint role, bound once (label lookups are not free on
a path that runs a thousand times a second). Without a registry every method is a no-op."""

from __future__ import annotations

from longweave.contracts import Usage
from longweave.observability import ServiceMetrics


class RoleMetrics:
    """`model` is the endpoint's configured model (bounded, unlike the versioned names some
    providers answer with)."""

    def __init__(self, metrics: ServiceMetrics | None, role: str, model: str = "") -> None:
        self._m = metrics
        self._role = role
        if metrics is None:
            return
        self._ok = metrics.llm_requests.labels(role, "ok")
        self._failed = metrics.llm_requests.labels(role, "error")
        self._latency = metrics.llm_latency.labels(role)
        self._prompt = metrics.llm_tokens.labels(role, model, "prompt")
        self._completion = metrics.llm_tokens.labels(role, model, "completion")
        self._cost = metrics.llm_cost.labels(role, model)
        self._in_flight = metrics.llm_in_flight.labels(role)
        self._limit = metrics.llm_concurrency_limit.labels(role)
        self._hits = metrics.llm_cache_hits.labels(role)
        self._misses = metrics.llm_cache_misses.labels(role)
        self._throttled = metrics.llm_throttle_seconds.labels(role)
        self._errors: dict[str, object] = {}
        self._retries: dict[str, object] = {}
        self._last_concurrency = (-1, -1)

    def reply(self, usage: Usage, cost_usd: float) -> None:
        """An HTTP reply that carried a completion (paid for)."""
        if self._m is None:
            return
        self._ok.inc()
        self._prompt.inc(usage.prompt_tokens)
        self._completion.inc(usage.completion_tokens)
        if cost_usd:
            self._cost.inc(cost_usd)

    def failed_request(self, error_class: str) -> None:
        if self._m is None:
            return
        self._failed.inc()
        self.error(error_class)

    def error(self, error_class: str) -> None:
        if self._m is None:
            return
        child = self._errors.get(error_class)
        if child is None:
            child = self._errors[error_class] = self._m.llm_errors.labels(self._role, error_class)
        child.inc()  # type: ignore[attr-defined]

    def retry(self, cause: str) -> None:
        if self._m is None:
            return
        child = self._retries.get(cause)
        if child is None:
            child = self._retries[cause] = self._m.llm_retries.labels(self._role, cause)
        child.inc()  # type: ignore[attr-defined]

    def call_latency(self, seconds: float) -> None:
        if self._m is not None:
            self._latency.observe(seconds)

    def cache(self, hit: bool) -> None:
        if self._m is not None:
            (self._hits if hit else self._misses).inc()

    def throttled(self, seconds: float) -> None:
        if self._m is not None and seconds > 0:
            self._throttled.inc(seconds)

    def concurrency(self, in_flight: int, limit: int) -> None:
        if self._m is None or (in_flight, limit) == self._last_concurrency:
            return
        if in_flight != self._last_concurrency[0]:
            self._in_flight.set(in_flight)
        if limit != self._last_concurrency[1]:
            self._limit.set(limit)
        self._last_concurrency = (in_flight, limit)
