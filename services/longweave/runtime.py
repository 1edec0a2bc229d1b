"""Wiring shared by the six services: context, consume guard, publishing and the runner.

A service module exposes ``build_router(ctx) -> KafkaRouter`` (and optionally an async
``startup(ctx)``); the runner puts one or all of them on a broker, serves each one's
/metrics, /healthz and /readyz, and stops gracefully on SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from faststream import BaseMiddleware
from faststream.kafka import KafkaRouter
from faststream.middlewares import AckPolicy
from pydantic import BaseModel, ValidationError

from longweave.contracts import DeadLetter
from longweave.contracts.records import Sample
from longweave.kafka_parallel import ParallelOptions, run_in_parallel
from longweave.kafka_purge import ConsumedRecordsPurger
from longweave.llm import LLMClient, LLMError, ReplyParseError, RunStopped
from longweave.llm.concurrency import AimdController, ConcurrencyGate
from longweave.llm.pricing import PriceTable
from longweave.observability import ServiceMetrics, store_operations_middleware
from longweave.prompts import PromptLibrary
from longweave.settings import Settings
from longweave.store import TERMINAL_STAGES, Store
from longweave.topics import Topics

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_PAYLOAD_IN_DEAD_LETTER = 64_000
STOP_FLAG_TTL_S = 1.0


@dataclass(frozen=True)
class LLMWork(Generic[T]):
    """How a stage's LLM work ended (`ServiceContext.llm_work`): a result, a failure to
    regenerate on, or a stopped run (the sample has been ended)."""

    result: T | None = None
    failure: str | None = None
    stopped: bool = False


@dataclass
class ServiceContext:
    """Everything a service's handlers need; built once per service per process."""

    name: str
    settings: Settings
    topics: Topics
    store: Store
    prompts: PromptLibrary
    metrics: ServiceMetrics
    dead_letters: Any = None  # the dead-letter publisher, declared by new_router()
    _llm: dict[str, LLMClient] = field(default_factory=dict)
    # One concurrency gate per endpoint (base URL and limit), shared by every context of the
    # process (mesh.build_contexts passes one dict): roles calling the same endpoint share
    # its slots, and its waiters are served by priority across roles.
    endpoint_gates: dict[tuple[str, int], ConcurrencyGate] = field(default_factory=dict)
    # The process's purger of consumed hop records (mesh.build_contexts shares one).
    purger: ConsumedRecordsPurger | None = None
    # Delivery failures per (topic, partition, offset): bounded redelivery of poison messages.
    _failures: dict[tuple[str, int, int], int] = field(default_factory=dict)
    _stop_flags: dict[str, tuple[float, str | None]] = field(default_factory=dict)

    def llm(self, role: str) -> LLMClient:
        if role not in self._llm:
            endpoint = (
                self.settings.generator_endpoint if role == "generator"
                else self.settings.judge_endpoint
            )
            key = (endpoint.base_url, endpoint.max_concurrency)
            gate = self.endpoint_gates.get(key)
            if gate is None:
                gate = self.endpoint_gates[key] = ConcurrencyGate(
                    AimdController(endpoint.max_concurrency),
                    fifo_every=self.settings.llm_fifo_share_every)
            self._llm[role] = LLMClient(
                endpoint, self.metrics, store=self.store,
                prices=PriceTable(self.settings.llm_prices),
                cache_enabled=self.settings.llm_cache, gate=gate,
            )
        return self._llm[role]

    def publisher(self, router: KafkaRouter, topic: str, schema: type[BaseModel],
                  description: str) -> Any:
        """Declare what this service publishes (titled per service, for AsyncAPI)."""
        return router.publisher(topic, schema=schema, description=description,
                                title=f"{self.name}:publish:{topic}")

    async def current_sample(self, topic: str, sample_id: str, attempt: int | None = None
                             ) -> Sample | None:
        """The sample a message is about, or None when the message is stale: the sample is
        unknown or finished or, given `attempt`, on another attempt. A stale message is
        counted here and dropped by the caller."""
        sample = await self.store.get_sample(sample_id)
        if sample is None or sample.stage in TERMINAL_STAGES or \
                (attempt is not None and sample.attempt != attempt):
            self.metrics.messages.labels(topic, "stale").inc()
            return None
        return sample

    async def sample_paradigm(self, sample_id: str) -> str:
        """The paradigm of a stored sample, to label an outcome counted where the handler
        has not read the sample (a dead letter, a stop): one read by id per finished sample,
        never per message. "unknown" only if the sample has vanished meanwhile."""
        sample = await self.store.get_sample(sample_id)
        return sample.spec.paradigm if sample is not None else "unknown"

    async def llm_work(self, run_id: str, sample_id: str,
                       work: Callable[[], Awaitable[T]]) -> LLMWork[T]:
        """Run a stage's LLM work inside ``llm_work_deadline_s`` (so a slow endpoint ends in
        a regeneration, never in a cancelled handler and a redelivery). A failed call or an
        unusable reply is a `failure`; a run that was cancelled or ran out of budget ends
        the sample as stopped."""
        try:
            async with asyncio.timeout(self.settings.llm_work_deadline_s):
                return LLMWork(result=await work())
        except RunStopped as stopped:
            await self.stopped_before_new_work(run_id, sample_id, stopped.reason)
            return LLMWork(stopped=True)
        except (LLMError, ReplyParseError, TimeoutError) as exc:
            return LLMWork(failure=f"{type(exc).__name__}: {exc}")

    async def stopped_before_new_work(self, run_id: str, sample_id: str,
                                      known_reason: str | None = None) -> bool:
        """Called before issuing new work for a sample: when its run was asked to stop
        (cancelled, out of budget; `known_reason` when the gateway refused a call for it),
        end the sample as "stopped" instead."""
        if known_reason is not None:
            self._stop_flags[run_id] = (time.monotonic(), known_reason)
        reason = await self._stop_reason(run_id)
        if reason is None:
            return False
        if await self.store.finish_sample(sample_id, "stopped", {"stopped_reason": reason},
                                          run_id=run_id):
            paradigm = await self.sample_paradigm(sample_id)  # finish_sample completes the run
            self.metrics.samples.labels("stopped", paradigm).inc()
        else:  # finished before: the delivery that did it may have died before its count
            await self.store.complete_run_if_done(run_id)
        return True

    async def _stop_reason(self, run_id: str) -> str | None:
        """The run's stop flag, read at most every STOP_FLAG_TTL_S per run: a store read per
        handler was a tenth of a record's reads, and a stop may take a second to be seen."""
        read_at, reason = self._stop_flags.get(run_id, (float("-inf"), None))
        if reason is None and time.monotonic() - read_at >= STOP_FLAG_TTL_S:
            reason = await self.store.stop_requested(run_id)
            self._stop_flags[run_id] = (time.monotonic(), reason)  # a stop is for good
        return reason

    async def emit(self, publisher: Any, message: BaseModel, key: str | None) -> None:
        """Publish through a declared publisher (so AsyncAPI documents it) and count it."""
        await publisher.publish(message, key=key.encode() if key else None)
        self.metrics.published.labels(publisher.topic).inc()

    async def dead_letter(self, letter: DeadLetter) -> None:
        assert self.dead_letters is not None, "new_router() declares the dead-letter publisher"
        await self.emit(self.dead_letters, letter, letter.sample_id or letter.run_id)
        self.metrics.dead_letters.labels(letter.kind).inc()

    def subscriber_options(self, topic: str) -> dict[str, Any]:
        s = self.settings
        return {
            # One consumer group per subscribed topic: a rebalance of one never stalls or
            # revokes the other (a shared group rebalances whenever either changes).
            "group_id": f"{s.topic_prefix}.{self.name}.{topic.removeprefix(s.topic_prefix + '.')}",
            "auto_offset_reset": "earliest",
            # Offsets are committed by kafka_parallel, only below unfinished work.
            "ack_policy": AckPolicy.MANUAL,
            # aiokafka heartbeats and rejoins in the background, so a long handler costs no
            # rebalance as long as it stays inside max_poll_interval (derived from the
            # deadline). The rebalance timeout stays short: a dead member is noticed fast.
            "max_poll_interval_ms": s.max_poll_interval_ms,
        }

    def subscriber(self, router: KafkaRouter, topic: str, description: str) -> Any:
        """Declare a subscriber that keeps up to this service's max_in_flight messages in
        progress, never two with the same key (kafka_parallel). Use it as a decorator."""
        s = self.settings
        subscriber = router.subscriber(topic, **self.subscriber_options(topic),
                                       description=description)
        return run_in_parallel(subscriber, ParallelOptions(
            max_in_flight=s.max_in_flight(self.name), drain_timeout_s=s.drain_timeout_s,
            commit_interval_s=s.kafka_commit_interval_ms / 1000,
            lag_interval_s=s.kafka_lag_interval_s,
        ), on_in_flight=self.metrics.in_flight.labels(topic).set,
            on_assignment=self.metrics.partitions.labels(topic).set,
            on_lag=self.metrics.lag_reporter(topic),
            on_commit=self.purger.queue.committed if self.purger else None)

    async def aclose(self) -> None:
        for client in self._llm.values():
            await client.aclose()


def consume_guard(ctx: ServiceContext) -> type[BaseMiddleware]:
    """Middleware that turns every bad input into a dead letter instead of a crash loop.

    - A message that does not match its contract: dead letter at once, with the reason
      and the original payload.
    - Any other exception: handled again (kafka_parallel retries it in place, with
      backoff) up to ``max_redeliveries`` times, then dead-lettered with the error, so a
      poison message cannot loop forever.
    - A handler running past ``handler_deadline_s`` is cancelled and counts as a failure.
    """

    class ConsumeGuard(BaseMiddleware):
        async def consume_scope(self, call_next: Callable[[Any], Awaitable[Any]], msg: Any) -> Any:
            raw = msg.raw_message
            topic, partition, offset = raw.topic, raw.partition, raw.offset
            with ctx.metrics.handler_seconds.labels(topic).time():
                try:
                    # Decoding first (FastStream caches it) sorts bodies that cannot be
                    # decoded at all (nested too deep, or declared JSON but not JSON) from
                    # handler failures: they are invalid inputs, never worth a redelivery.
                    await msg.decode()
                except (ValueError, RecursionError) as exc:
                    await ctx.dead_letter(_letter(ctx, "invalid_message", topic, raw.value,
                                                  [f"<message>: cannot be decoded: {exc}"]))
                    ctx.metrics.messages.labels(topic, "invalid").inc()
                    return None
                try:
                    async with asyncio.timeout(ctx.settings.handler_deadline_s):
                        result = await call_next(msg)
                except ValidationError as exc:
                    await _dead_letter_invalid(ctx, topic, raw.value, exc)
                    ctx.metrics.messages.labels(topic, "invalid").inc()
                    return None
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - the guard decides where it goes
                    return await _on_failure(ctx, topic, partition, offset, raw.value, exc)
            ctx._failures.pop((topic, partition, offset), None)
            ctx.metrics.messages.labels(topic, "ok").inc()
            return result

    return ConsumeGuard


async def _dead_letter_invalid(
    ctx: ServiceContext, topic: str, payload: bytes, exc: ValidationError
) -> None:
    reasons = [
        f"{'.'.join(str(p) for p in err['loc']) or '<message>'}: {err['msg']}"
        for err in exc.errors()[:20]
    ]
    try:
        json.loads(payload or b"")
    except (ValueError, RecursionError) as not_json:
        reasons.insert(0, f"<message>: not JSON ({not_json})")
    await ctx.dead_letter(
        _letter(ctx, "invalid_message", topic, payload, reasons)
    )
    log.warning("dead-lettered an invalid message from %s: %s", topic, "; ".join(reasons))


async def _on_failure(
    ctx: ServiceContext, topic: str, partition: int, offset: int, payload: bytes, exc: Exception
) -> None:
    key = (topic, partition, offset)
    failures = ctx._failures.get(key, 0) + 1
    ctx._failures[key] = failures
    if failures <= ctx.settings.max_redeliveries:
        log.warning("handler failed on %s@%s:%s (%s), redelivering", topic, partition, offset,
                    exc)
        ctx.metrics.redeliveries.labels(topic).inc()
        ctx.metrics.messages.labels(topic, "redelivered").inc()
        raise exc
    ctx._failures.pop(key, None)
    reason = f"handler failed {failures} times: {type(exc).__name__}: {exc}"
    log.error("%s\n%s", reason, "".join(traceback.format_exception(exc)[-5:]))
    await ctx.dead_letter(_letter(ctx, "handler_failure", topic, payload, [reason]))
    ctx.metrics.messages.labels(topic, "dead_lettered").inc()
    return None


def _letter(
    ctx: ServiceContext, kind: str, topic: str, payload: bytes, reasons: list[str]
) -> DeadLetter:
    text = payload.decode("utf-8", errors="replace") if payload is not None else ""
    ids: dict[str, Any] = {}
    try:
        decoded = json.loads(text)
        if isinstance(decoded, dict):
            ids = {k: decoded[k] for k in ("run_id", "sample_id") if isinstance(decoded.get(k), str)}
    except (ValueError, RecursionError):  # RecursionError: nested too deep to decode
        pass
    digest = hashlib.sha256(f"{topic}\0{text}".encode()).hexdigest()[:24]
    return DeadLetter(
        dead_letter_id=f"{kind}:{digest}",
        kind=kind,  # type: ignore[arg-type]
        source_topic=topic,
        reasons=reasons,
        payload=text[:MAX_PAYLOAD_IN_DEAD_LETTER],
        **ids,
    )


def new_router(ctx: ServiceContext) -> KafkaRouter:
    """A service's router: guarded consumption and a declared dead-letter publisher."""
    # Outermost, so every store operation of the handler counts for this service.
    router = KafkaRouter(middlewares=[store_operations_middleware(ctx.metrics),
                                      consume_guard(ctx)])
    ctx.dead_letters = ctx.publisher(
        router, ctx.topics.dead_letter, DeadLetter,
        "Bad inputs and samples out of attempts, with reasons",
    )
    return router
