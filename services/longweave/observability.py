"""Prometheus metrics and the /metrics, /healthz and /readyz endpoint of every service.

Each service owns a registry, so `serve all` can still expose one port per service.
The endpoint is a tiny asyncio HTTP server: no extra web framework in the services.

MongoDB commands are counted by a pymongo command listener on the store's client
(`StoreOperationCounter`) into the registry of the service whose code issued them, named by
a context variable (`counting_store_operations`): in `serve all` the six services share one
client, and each command is still counted once, by the service that issued it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from typing import Any

from faststream import BaseMiddleware
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from pymongo import monitoring

from longweave.budget_watch import IDLE_AFTER_S, BudgetUse

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200)


class ServiceMetrics:
    """The metric families a service exposes; LLM families are labelled by endpoint role."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        r = self.registry
        self.messages = Counter(
            "longweave_messages_total", "Messages handled, by topic and outcome",
            ["topic", "outcome"], registry=r,
        )
        self.handler_seconds = Histogram(
            "longweave_handler_seconds", "Handler wall time per message", ["topic"],
            buckets=LATENCY_BUCKETS, registry=r,
        )
        self.published = Counter(
            "longweave_published_total", "Messages published, by topic", ["topic"], registry=r,
        )
        self.in_flight = Gauge(
            "longweave_messages_in_flight",
            "Messages in progress (running or waiting behind their key), by topic",
            ["topic"], registry=r,
        )
        self.partitions = Gauge(
            "longweave_partitions_assigned",
            "Partitions this process consumes, by topic (after each rebalance)",
            ["topic"], registry=r,
        )
        self.consumer_lag = Gauge(
            "longweave_consumer_lag",
            "Messages of a partition not yet handled by this process's consumer group: the "
            "high-water mark minus the offset safe to commit (measured every "
            "LONGWEAVE_KAFKA_LAG_INTERVAL_S)", ["topic", "partition"], registry=r,
        )
        self.redeliveries = Counter(
            "longweave_redeliveries_total", "Handler failures sent back for redelivery",
            ["topic"], registry=r,
        )
        self.dead_letters = Counter(
            "longweave_dead_letters_total", "Dead letters published, by kind", ["kind"], registry=r,
        )
        # paradigm: a registered paradigm's name (bounded), never a run or sample id.
        self.samples = Counter(
            "longweave_samples_total",
            "Sample outcomes at this stage (passed, regenerate, accepted, dead_lettered, ...), "
            "by paradigm", ["outcome", "paradigm"], registry=r,
        )
        self.check_failures = Counter(
            "longweave_check_failures_total", "Drafts failing a rule check, by paradigm and check",
            ["paradigm", "check"], registry=r,
        )
        self.judge_rejections = Counter(
            "longweave_judge_rejections_total",
            "Judge rejections by paradigm and failed rubric axis (a draft can fail several)",
            ["paradigm", "axis"], registry=r,
        )
        self.sample_seconds = Histogram(
            "longweave_sample_seconds",
            "From a sample's creation to its acceptance, by paradigm",
            ["paradigm"], registry=r,
            buckets=(5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400),
        )
        self.llm_requests = Counter(
            "longweave_llm_requests_total", "LLM HTTP requests, by role and outcome (ok, error)",
            ["role", "outcome"], registry=r,
        )
        self.llm_retries = Counter(
            "longweave_llm_retries_total", "LLM requests retried, by role and cause",
            ["role", "cause"], registry=r,
        )
        self.llm_latency = Histogram(
            "longweave_llm_request_seconds",
            "LLM call latency (all attempts and backoff; cache hits excluded)", ["role"],
            buckets=LATENCY_BUCKETS, registry=r,
        )
        self.llm_tokens = Counter(
            "longweave_llm_tokens_total",
            "LLM tokens, by role, configured model and direction (prompt/completion)",
            ["role", "model", "direction"], registry=r,
        )
        self.llm_cost = Counter(
            "longweave_llm_cost_usd_total", "Estimated LLM cost in USD, by role and configured "
            "model", ["role", "model"], registry=r,
        )
        self.llm_in_flight = Gauge(
            "longweave_llm_in_flight", "LLM requests in flight", ["role"], registry=r,
        )
        self.llm_concurrency_limit = Gauge(
            "longweave_llm_concurrency_limit",
            "Current adaptive concurrency limit (shrinks on 429s, grows back on successes)",
            ["role"], registry=r,
        )
        self.llm_errors = Counter(
            "longweave_llm_errors_total",
            "Failed LLM attempts by class (rate_limited, server_error, timeout, connection, "
            "rejected, malformed_response, invalid_output, truncated, deadline, run_stopped)",
            ["role", "error_class"], registry=r,
        )
        self.llm_cache_hits = Counter(
            "longweave_llm_cache_hits_total", "LLM calls served from the response cache",
            ["role"], registry=r,
        )
        self.llm_cache_misses = Counter(
            "longweave_llm_cache_misses_total",
            "Cacheable LLM calls not found in the response cache", ["role"], registry=r,
        )
        self.llm_throttle_seconds = Counter(
            "longweave_llm_throttle_seconds_total",
            "Seconds LLM calls waited for the requests/tokens-per-minute budgets", ["role"],
            registry=r,
        )
        self.store_operations = Counter(
            "longweave_store_operations_total",
            "MongoDB commands issued, by operation (find, update, aggregate, ...) and collection",
            ["operation", "collection"], registry=r,
        )
        self._store_operation_children: dict[tuple[str, str], Any] = {}
        # One number per process, not per run (run ids are never labels): the LLM gateway's
        # ledger feeds `budget_use`, and each scrape reads its highest share.
        self.budget_use = BudgetUse()
        self.budget_used = Gauge(
            "longweave_budget_used_ratio",
            "Highest share of its LLM budget (tokens or cost, whichever is nearer; 1 is the "
            "limit) used by a run this process spends for: running, with a budget, charged "
            f"in the last {IDLE_AFTER_S:.0f} s. 0 when there is none", registry=r,
        )
        self.budget_used.set_function(self.budget_use.highest)
        self.up = Gauge("longweave_up", "1 while the service is consuming", registry=r)

    def count_store_operation(self, operation: str, collection: str) -> None:
        # Runs on the store's threads for every command: one dict lookup, one increment.
        child = self._store_operation_children.get((operation, collection))
        if child is None:
            child = self.store_operations.labels(operation, collection)
            self._store_operation_children[(operation, collection)] = child
        child.inc()

    def lag_reporter(self, topic: str) -> Callable[[dict[Any, int]], None]:
        """Sets the lag gauge of `topic`'s owned partitions; drops those no longer owned (no
        stale series after a rebalance)."""
        reported: set[str] = set()

        def report(lags: dict[Any, int]) -> None:
            now = {str(tp.partition): lag for tp, lag in lags.items()}
            for gone in reported - now.keys():
                self.consumer_lag.remove(topic, gone)
            for partition, lag in now.items():
                self.consumer_lag.labels(topic, partition).set(lag)
            reported.clear()
            reported.update(now)

        return report

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


# The service whose code runs in this context (a handler, a start-up step, a health check).
_issuing_service: ContextVar[ServiceMetrics | None] = ContextVar("issuing_service", default=None)


@contextlib.contextmanager
def counting_store_operations(metrics: ServiceMetrics) -> Iterator[None]:
    """Count the MongoDB commands issued inside this block in `metrics` (tasks started here
    inherit it; motor runs each command with a copy of the caller's context)."""
    token = _issuing_service.set(metrics)
    try:
        yield
    finally:
        _issuing_service.reset(token)


def store_operations_middleware(metrics: ServiceMetrics) -> type[BaseMiddleware]:
    """Router middleware: a handler's MongoDB commands count for its service."""

    class CountStoreOperations(BaseMiddleware):
        async def consume_scope(self, call_next: Callable[[Any], Awaitable[Any]], msg: Any
                                ) -> Any:
            with counting_store_operations(metrics):
                return await call_next(msg)

    return CountStoreOperations


class StoreOperationCounter(monitoring.CommandListener):
    """Counts every command the client sends in the issuing service's registry; commands
    issued outside any service (the CLI, tests) are not counted."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        metrics = _issuing_service.get()
        if metrics is None:
            return
        name = event.command_name
        # The collection is the command's first value (find: "samples"); getMore names it
        # apart, and database commands (ping) have none.
        target = event.command.get("collection" if name == "getMore" else name)
        metrics.count_store_operation(name, target if isinstance(target, str) else "")

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


HealthCheck = Callable[[], Awaitable[bool]]


class OpsEndpoint:
    """Serves GET /metrics, /healthz and /readyz.

    /healthz is liveness: 200 while the process's event loop answers, whatever the state of
    the broker and store (restarting every pod when the broker is down would not help).
    /readyz is readiness: 200 when `ready` passes (the broker and the store are reachable),
    503 otherwise and from the moment the service starts draining."""

    def __init__(self, metrics: ServiceMetrics, ready: HealthCheck, host: str, port: int):
        self.metrics = metrics
        self.ready = ready
        self.host = host
        self.port = port
        self.draining = False
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await asyncio.wait_for(reader.readline(), 5)
            while (await asyncio.wait_for(reader.readline(), 5)) not in (b"\r\n", b"\n", b""):
                pass  # headers are not needed
            parts = request_line.decode("latin-1").split()
            path = parts[1].split("?")[0] if len(parts) > 1 else "/"
            status, body, ctype = await self._route(path)
            head = (
                f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode("latin-1") + body)
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _route(self, path: str) -> tuple[str, bytes, str]:
        if path == "/metrics":
            return "200 OK", self.metrics.exposition(), CONTENT_TYPE_LATEST
        if path == "/healthz":
            return "200 OK", b'{"status":"ok"}', "application/json"
        if path == "/readyz":
            ready = False
            if not self.draining:
                try:
                    with counting_store_operations(self.metrics):
                        ready = await asyncio.wait_for(self.ready(), 5)
                except Exception:  # noqa: BLE001 - any failure means not ready
                    log.warning("readiness check failed", exc_info=True)
            if ready:
                return "200 OK", b'{"status":"ready"}', "application/json"
            status = b'{"status":"draining"}' if self.draining else b'{"status":"unavailable"}'
            return "503 Service Unavailable", status, "application/json"
        return "404 Not Found", b"not found", "text/plain"
