"""The LLM gateway: one async client per OpenAI-compatible endpoint role (roles on one
endpoint share its concurrency gate).

A call goes through, in order:
1. the response cache (the call records in MongoDB), when the run allows it — a hit costs
   nothing;
2. the run's stop flag and budget — a stopped run gets `RunStopped`, not a new call;
3. the adaptive concurrency gate (AIMD) and the requests/tokens-per-minute budgets;
4. the HTTP attempt, retried with jittered exponential backoff (or the server's
   Retry-After) on 429, 5xx, timeouts and connection errors, never on other 4xx, all
   within the per-call deadline (429s are bounded by the deadline only; the others also
   by ``max_retries``);
5. accounting of every paid reply: tokens (from ``usage``, else estimated), cost from the
   price table, metrics, and the run's totals in MongoDB (batched; they may stop the run);
6. for structured calls: repair, schema validation and one re-ask carrying the error; a
   reply cut off at max_tokens is never accepted;
7. one write: the call's record (what it was for, usage, cost, latency, reply), which is
   also its cache entry.

The API key lives in one request header inside the transport. It is redacted from every
error message, and nothing that is logged, stored or exported as a metric carries it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from pymongo.errors import PyMongoError

from longweave.contracts import Usage
from longweave.llm.backoff import RETRYABLE_CLASSES, BackoffPolicy, parse_retry_after, status_class
from longweave.llm.cache import CachedReply, ResponseCache
from longweave.llm.cache_key import cache_key
from longweave.llm.concurrency import AimdController, ConcurrencyGate
from longweave.llm.errors import DeadlineExceeded, LLMError, RunStopped
from longweave.llm.ledger import RunLedger
from longweave.llm.metrics import RoleMetrics
from longweave.llm.parsing import ReplyParseError, parse_structured
from longweave.llm.pricing import PriceTable
from longweave.llm.rate_limit import RateLimiter
from longweave.llm.scope import CallScope
from longweave.llm.structured import reask_body, with_structured_output
from longweave.llm.tokens import estimate_prompt_tokens, estimate_tokens
from longweave.llm.transport import (
    HttpReply,
    Transport,
    TransportError,
    TransportTimeout,
)
from longweave.llm.transports import open_transport
from longweave.observability import ServiceMetrics
from longweave.settings import LLMEndpoint
from longweave.store import Store

log = logging.getLogger(__name__)

CHAT_PATH = "/chat/completions"
REDACTED = "[redacted]"
_NO_TIMER = contextlib.nullcontext()


@dataclass
class Completion:
    text: str
    finish_reason: str
    usage: Usage
    model: str
    latency_s: float
    attempts: int = 1  # HTTP requests made for this call (0: served from the cache)
    parsed: Any = None
    cached: bool = False
    cost_usd: float = 0.0
    usage_estimated: bool = False  # the endpoint reported no usage: tokens were counted
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def truncated(self) -> bool:
        return self.finish_reason == "length"


@dataclass(slots=True)
class _Failure:
    error_class: str
    detail: str
    retry_after: float | None = None


class LLMClient:
    def __init__(
        self,
        endpoint: LLMEndpoint,
        metrics: ServiceMetrics | None = None,
        *,
        store: Store | None = None,
        prices: PriceTable | None = None,
        cache_enabled: bool = True,
        rng: random.Random | None = None,
        backoff: BackoffPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        transport: Transport | None = None,
        gate: ConcurrencyGate | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.role = endpoint.role
        self._m = RoleMetrics(metrics, endpoint.role, endpoint.model)
        self._rng = rng or random.Random()
        self._backoff = backoff or BackoffPolicy()
        self._clock = clock
        self._sleep = sleep
        self._prices = prices or PriceTable()
        self._unpriced_noted: set[str] = set()
        key = endpoint.api_key.get_secret_value() if endpoint.api_key is not None else ""
        self._secrets = [key] if key else []
        self._transport = transport or open_transport(
            endpoint.base_url, {"Authorization": f"Bearer {key}"} if key else {},
            endpoint.http_client, endpoint.max_concurrency,
        )
        # Shared by the roles that call one endpoint (see runtime.ServiceContext.llm), so
        # the endpoint's slots are one budget and its waiters one queue.
        self.gate = gate or ConcurrencyGate(AimdController(endpoint.max_concurrency))
        self.gate.watch(self._m.concurrency)
        self._limiter = (
            RateLimiter(endpoint.requests_per_minute, endpoint.tokens_per_minute, clock, sleep)
            if endpoint.requests_per_minute or endpoint.tokens_per_minute else None
        )
        # Every paid call is recorded; the records are read back as a cache when enabled.
        self._calls = ResponseCache(store) if store is not None else None
        self._cache_enabled = cache_enabled
        # The ledger also tells the service's budget gauge how near its budget a run is.
        self._ledger = RunLedger(
            store, budget_use=metrics.budget_use if metrics is not None else None,
        ) if store is not None else None
        # Cacheable calls under way, by cache key: an identical call made meanwhile (e.g.
        # the units of several records that outline the same chapter) waits for that one
        # instead of paying for it again.
        self._in_flight: dict[str, asyncio.Future[Completion]] = {}

    async def flush(self) -> None:
        """Write the run totals this client has added up (the ledger batches them)."""
        if self._ledger is not None:
            await self._ledger.flush()

    async def aclose(self) -> None:
        if self._ledger is not None:
            await self._ledger.aclose()
        await self._transport.aclose()

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
        scope: CallScope | None = None,
    ) -> Completion:
        """One completion. With `json_schema`, the reply is repaired, validated and returned
        in `Completion.parsed` (else `ReplyParseError`). `scope` ties the call to a run
        (budget, totals, cache switch) and a template version (cache key)."""
        scope = scope or CallScope()
        started = self._clock()
        body: dict[str, Any] = {"model": self.endpoint.model, "messages": messages,
                                "max_tokens": max_tokens, "temperature": temperature}
        if seed is not None:
            body["seed"] = seed
        if frequency_penalty:
            body["frequency_penalty"] = frequency_penalty
        if json_schema is not None:
            body = with_structured_output(body, json_schema, schema_name,
                                          self.endpoint.structured_output)
        key = cache_key(body, scope.template_version) if self._calls is not None else None
        if key is not None and self._cache_enabled and scope.cache:
            while (under_way := self._in_flight.get(key)) is not None:
                try:
                    shared = await asyncio.shield(under_way)
                except Exception:
                    continue  # it failed: this call tries itself
                except asyncio.CancelledError:
                    if not under_way.cancelled() or _being_cancelled():
                        raise
                    continue
                return await self._served_again(shared, scope, started)
            leader: asyncio.Future[Completion] = asyncio.get_running_loop().create_future()
            self._in_flight[key] = leader
            try:
                completion = await self._call(key, body, json_schema, scope, started)
            except Exception as exc:
                leader.set_exception(exc)
                leader.exception()  # retrieved: followers may be gone
                raise
            except BaseException:
                leader.cancel()
                raise
            else:
                leader.set_result(completion)
                return completion
            finally:
                del self._in_flight[key]
        return await self._call(key, body, json_schema, scope, started)

    async def _served_again(self, completion: Completion, scope: CallScope,
                            started: float) -> Completion:
        """An identical call's completion, served as a cache hit."""
        self._m.cache(hit=True)
        if self._ledger is not None and scope.run_id:
            await self._ledger.count_cache_hit(scope.run_id, self.role)
        return replace(completion, latency_s=self._clock() - started, attempts=0,
                       cached=True)

    async def _call(self, key: str | None, body: dict[str, Any],
                    json_schema: dict[str, Any] | None, scope: CallScope, started: float
                    ) -> Completion:
        """The call from the response cache, else paid for (and recorded)."""
        deadline = started + self.endpoint.call_deadline_s
        reusable = self._cache_enabled and scope.cache
        stale_entry = False
        if key is not None and reusable:
            hit, stale_entry = await self._cached(key, json_schema, scope, started)
            if hit is not None:
                return hit
        if self._ledger is not None and scope.run_id:
            try:
                await self._ledger.ensure_can_spend(scope.run_id, scope.budget)
            except RunStopped:
                self._m.error("run_stopped")
                raise
        completion = await self._post(body, deadline, scope)
        if json_schema is not None:
            completion = await self._parse_or_reask(completion, body, json_schema, deadline,
                                                    scope)
        completion.latency_s = self._clock() - started
        self._m.call_latency(completion.latency_s)
        if key is not None:
            # With the cache off, identical requests are separate paid calls: one record each.
            await self._record(key if reusable else f"{key}:{uuid.uuid4().hex}", completion,
                               scope, replace=stale_entry)
        return completion

    # -- cache -------------------------------------------------------------------------

    async def _cached(self, key: str, schema: dict[str, Any] | None, scope: CallScope,
                      started: float) -> tuple[Completion | None, bool]:
        """(the cached completion or None, whether an unusable entry is in the way)."""
        assert self._calls is not None
        entry = await self._calls.get(key)
        if entry is None:
            self._m.cache(hit=False)
            return None, False
        parsed = None
        if schema is not None:
            try:
                parsed = parse_structured(entry.text, entry.finish_reason, schema)
            except ReplyParseError:
                self._m.cache(hit=False)
                return None, True
        self._m.cache(hit=True)
        if self._ledger is not None and scope.run_id:
            await self._ledger.count_cache_hit(scope.run_id, self.role)
        return Completion(
            text=entry.text, finish_reason=entry.finish_reason, usage=entry.usage,
            model=entry.model, latency_s=self._clock() - started, attempts=0, parsed=parsed,
            cached=True,
        ), False

    async def _record(self, key: str, completion: Completion, scope: CallScope,
                      replace: bool) -> None:
        """Store the paid call: its accounting, and its reply for the cache."""
        assert self._calls is not None
        reply = CachedReply(completion.text, completion.finish_reason, completion.usage,
                            completion.model)
        meta = {**scope.record_fields(), "role": self.role,
                "template_version": scope.template_version,
                "usage_estimated": completion.usage_estimated,
                "latency_s": completion.latency_s, "http_attempts": completion.attempts,
                "cost_usd": completion.cost_usd}
        try:
            if replace:
                await self._calls.replace(key, reply, meta)
            else:
                await self._calls.put(key, reply, meta)
        except PyMongoError as exc:  # the call is paid and good: do not fail it now
            log.warning("%s: could not record a completed call: %s", self.role, exc)

    # -- structured output -------------------------------------------------------------

    async def _parse_or_reask(self, completion: Completion, body: dict[str, Any],
                              schema: dict[str, Any], deadline: float,
                              scope: CallScope) -> Completion:
        try:
            completion.parsed = parse_structured(completion.text, completion.finish_reason,
                                                 schema)
            return completion
        except ReplyParseError as first_error:
            self._m.error("truncated" if completion.truncated else "invalid_output")
            if completion.truncated:
                raise  # asking again would be cut off again: the caller decides
            error = self._redact(str(first_error))
        second = await self._post(reask_body(body, completion.text, error), deadline, scope)
        second.usage = completion.usage + second.usage
        second.cost_usd += completion.cost_usd
        second.attempts += completion.attempts
        second.usage_estimated |= completion.usage_estimated
        try:
            second.parsed = parse_structured(second.text, second.finish_reason, schema)
        except ReplyParseError:
            self._m.error("truncated" if second.truncated else "invalid_output")
            raise
        return second

    # -- HTTP with retries -------------------------------------------------------------

    async def _post(self, body: dict[str, Any], deadline: float, scope: CallScope) -> Completion:
        payload = json.dumps(body, ensure_ascii=False).encode()
        estimated = (estimate_prompt_tokens(body["messages"]) + body["max_tokens"]
                     if self._limiter is not None else 0)
        attempt = 0
        throttled = 0  # 429s say "not now": the deadline bounds them, not max_retries
        while True:
            attempt += 1
            outcome = await self._attempt(payload, estimated, deadline, scope.priority)
            if isinstance(outcome, HttpReply):
                completion = self._completion(outcome, body)
                if completion is not None:
                    completion.attempts = attempt
                    await self._account(completion, estimated, scope)
                    return completion
                failure = _Failure("malformed_response",
                                   f"HTTP 200 without a chat completion: "
                                   f"{outcome.body[:200]!r}")
            else:
                failure = outcome
            self._m.failed_request(failure.error_class)
            detail = self._redact(failure.detail)
            throttled += failure.error_class == "rate_limited"
            if failure.error_class not in RETRYABLE_CLASSES \
                    or attempt - throttled > self.endpoint.max_retries:
                raise LLMError(f"{self.role} endpoint failed after {attempt} attempt(s): "
                               f"{detail}", failure.error_class)
            delay = self._backoff.delay(attempt, failure.retry_after, self._rng)
            if self._clock() + delay >= deadline:
                self._m.error("deadline")
                raise DeadlineExceeded(
                    f"{self.role} call deadline ({self.endpoint.call_deadline_s:g}s) reached "
                    f"after {attempt} attempt(s); last: {detail}")
            self._m.retry(failure.error_class)
            log.debug("%s endpoint: attempt %d failed (%s); retrying in %.2fs", self.role,
                      attempt, detail, delay)
            await self._sleep(delay)

    async def _attempt(self, payload: bytes, estimated: int, deadline: float,
                       priority: int = 0) -> HttpReply | _Failure:
        remaining = deadline - self._clock()
        if remaining <= 0:
            self._m.error("deadline")
            raise DeadlineExceeded(f"{self.role} call deadline "
                                   f"({self.endpoint.call_deadline_s:g}s) reached")
        # The deadline bounds any wait for a slot or a rate budget; when neither can make us
        # wait, the transport's own timeout is the only timer needed (a hot path).
        may_wait = self._limiter is not None or self.gate.full
        try:
            async with asyncio.timeout(remaining) if may_wait else _NO_TIMER:
                epoch = await self.gate.acquire(priority)
                try:
                    if self._limiter is not None:
                        self._m.throttled(await self._limiter.admit(estimated))
                    timeout = min(self.endpoint.timeout_s, max(0.001, deadline - self._clock()))
                    reply = await self._transport.post(CHAT_PATH, payload, timeout)
                    if reply.status == 429:
                        self.gate.throttled(epoch, self._clock(),
                                            parse_retry_after(reply.headers))
                    elif reply.status < 300:
                        self.gate.succeeded()
                finally:
                    self.gate.release()
        except TransportTimeout as exc:
            return _Failure("timeout", str(exc))
        except TransportError as exc:
            return _Failure("connection", str(exc))
        except TimeoutError as exc:
            self._m.error("deadline")
            raise DeadlineExceeded(f"{self.role} call deadline "
                                   f"({self.endpoint.call_deadline_s:g}s) reached while "
                                   "waiting for a slot") from exc
        if 200 <= reply.status < 300:
            return reply
        return _Failure(status_class(reply.status),
                        f"HTTP {reply.status}: {reply.body[:300].decode('utf-8', 'replace')}",
                        parse_retry_after(reply.headers))

    def _completion(self, reply: HttpReply, body: dict[str, Any]) -> Completion | None:
        """The completion in a 2xx reply, or None when the reply is not one."""
        try:
            payload = json.loads(reply.body)
            choice = payload["choices"][0]
            text = choice["message"].get("content") or ""
            finish_reason = choice.get("finish_reason") or "stop"
            model = payload.get("model") or self.endpoint.model
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            return None
        if not isinstance(text, str):
            return None
        usage, estimated = _usage_of(payload, body, text)
        return Completion(text=text, finish_reason=str(finish_reason), usage=usage,
                          model=str(model), latency_s=0.0, usage_estimated=estimated,
                          raw=payload)

    # -- accounting --------------------------------------------------------------------

    async def _account(self, completion: Completion, estimated: int, scope: CallScope) -> None:
        """Count one paid reply: cost, metrics, rate budget and the run's totals."""
        usage = completion.usage
        cost = self._prices.cost_usd(usage, self.endpoint.model, completion.model)
        if cost is None:
            cost = 0.0
            if self.endpoint.model not in self._unpriced_noted:
                self._unpriced_noted.add(self.endpoint.model)
                log.info("%s: model %s has no price in LONGWEAVE_LLM_PRICES; its calls count "
                         "as $0", self.role, self.endpoint.model)
        completion.cost_usd = cost
        self._m.reply(usage, cost)
        if self._limiter is not None:
            self._limiter.settle(estimated, usage.prompt_tokens + usage.completion_tokens)
        if self._ledger is not None and scope.run_id:
            try:
                await self._ledger.charge(scope.run_id, self.role, usage, cost, scope.budget)
            except PyMongoError as exc:  # accounting must not throw away a paid reply
                log.warning("%s: could not add a call to run %s's totals: %s", self.role,
                            scope.run_id, exc)

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _usage_of(payload: dict[str, Any], body: dict[str, Any], text: str) -> tuple[Usage, bool]:
    """(usage, estimated): the reply's usage, or counted when the endpoint sent none."""
    usage = payload.get("usage")
    if isinstance(usage, dict):
        prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
        if isinstance(prompt, int) and isinstance(completion, int) \
                and prompt >= 0 and completion >= 0:
            return Usage(prompt_tokens=prompt, completion_tokens=completion), False
    return Usage(prompt_tokens=estimate_prompt_tokens(body["messages"]),
                 completion_tokens=estimate_tokens(text)), True
