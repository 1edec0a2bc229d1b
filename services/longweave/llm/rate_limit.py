"""Requests-per-minute and tokens-per-minute budgets as token buckets.

A bucket holds about one second's worth of its rate (at least one request), so calls are
paced rather than fired in minute-sized bursts that per-second enforcement would reject.
A request larger than the bucket may still go once the bucket is full: the bucket goes into
debt and later requests wait it out. Token counts are estimated before the call (prompt +
max_tokens, as providers count them) and settled against the reply's usage afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class TokenBucket:
    def __init__(self, per_minute: float, now: float, burst_s: float = 1.0) -> None:
        if per_minute <= 0:
            raise ValueError("a rate must be positive")
        self.rate_per_s = per_minute / 60.0
        self.capacity = max(1.0, self.rate_per_s * burst_s)
        self.level = self.capacity
        self._updated = now

    def delay_for(self, amount: float, now: float) -> float:
        """Seconds until `amount` may be taken (0: now)."""
        self._refill(now)
        needed = min(amount, self.capacity)
        # The epsilon absorbs float error: a refill that lands a hair short must not turn
        # into a sleep too small to move the clock.
        return 0.0 if self.level >= needed - 1e-9 else (needed - self.level) / self.rate_per_s

    def take(self, amount: float, now: float) -> None:
        self._refill(now)
        self.level -= amount

    def give_back(self, amount: float, now: float) -> None:
        self._refill(now)
        self.level = min(self.capacity, self.level + amount)

    def _refill(self, now: float) -> None:
        if now > self._updated:
            self.level = min(self.capacity, self.level + (now - self._updated) * self.rate_per_s)
            self._updated = now


class RateLimiter:
    """Admits one request at a time in arrival order, each once both budgets allow it."""

    def __init__(
        self,
        requests_per_minute: float | None,
        tokens_per_minute: float | None,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        now = clock()
        self.requests = TokenBucket(requests_per_minute, now) if requests_per_minute else None
        self.tokens = TokenBucket(tokens_per_minute, now) if tokens_per_minute else None
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()

    @property
    def active(self) -> bool:
        return self.requests is not None or self.tokens is not None

    async def admit(self, tokens: int) -> float:
        """Wait until the request may go, then charge it; returns the seconds waited."""
        waited = 0.0
        async with self._lock:
            while True:
                now = self._clock()
                delay = max(
                    self.requests.delay_for(1, now) if self.requests else 0.0,
                    self.tokens.delay_for(tokens, now) if self.tokens else 0.0,
                )
                if delay <= 0:
                    break
                await self._sleep(delay)
                waited += delay
            now = self._clock()
            if self.requests:
                self.requests.take(1, now)
            if self.tokens:
                self.tokens.take(tokens, now)
        return waited

    def settle(self, estimated_tokens: int, actual_tokens: int) -> None:
        """Correct the token charge once the reply says what the call really used."""
        if self.tokens is None or estimated_tokens == actual_tokens:
            return
        now = self._clock()
        if actual_tokens < estimated_tokens:
            self.tokens.give_back(estimated_tokens - actual_tokens, now)
        else:
            self.tokens.take(actual_tokens - estimated_tokens, now)
