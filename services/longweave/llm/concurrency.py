"""Adaptive concurrency per endpoint: an AIMD controller (pure) and the async gate that
enforces its limit.

Additive increase: every success adds 1/limit, i.e. +1 per window of `limit` successes.
Multiplicative decrease on a 429, at most once per throttling event: only a request issued
after the last decrease can trigger the next one (requests already in flight were sent
under the old limit), and not within a quiet period (the Retry-After, at least
``cooldown_s``) — servers answer 429 instantly, so without it one burst would halve the
limit many times over.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class AimdController:
    max_limit: int
    min_limit: int = 1
    decrease_factor: float = 0.75
    cooldown_s: float = 1.0
    limit: float = field(init=False)
    epoch: int = field(default=0, init=False)
    _quiet_until: float = field(default=-math.inf, init=False, repr=False)

    def __post_init__(self) -> None:
        if not 1 <= self.min_limit <= self.max_limit:
            raise ValueError("need 1 <= min_limit <= max_limit")
        if not 0 < self.decrease_factor < 1:
            raise ValueError("decrease_factor must be in (0, 1)")
        self.limit = float(self.max_limit)

    @property
    def current(self) -> int:
        return max(self.min_limit, int(self.limit))

    def on_success(self) -> None:
        self.limit = min(float(self.max_limit), self.limit + 1.0 / self.limit)

    def on_throttle(self, issued_epoch: int, now: float, retry_after: float | None = None) -> bool:
        """A request issued at `issued_epoch` was throttled; True when the limit shrank."""
        if issued_epoch < self.epoch or now < self._quiet_until:
            return False
        self.limit = max(float(self.min_limit), self.limit * self.decrease_factor)
        self.epoch += 1
        self._quiet_until = now + max(self.cooldown_s, retry_after or 0.0)
        return True


class ConcurrencyGate:
    """A semaphore whose size follows the controller. Waiters are served by priority (lower
    first), then in arrival order: a call that continues a started sample goes before one
    that starts a new sample, so samples finish instead of piling up half-done.

    Every `fifo_every`-th slot goes to the longest waiter whatever its priority. With pure
    priority, samples started together run their calls in lockstep rounds (all of a round's
    continuations are ready at once and take every slot), and a last, part-full round idles
    most slots; a small first-come share staggers the starts, and no waiter starves."""

    def __init__(self, controller: AimdController,
                 on_change: Callable[[int, int], None] | None = None,
                 fifo_every: int = 8) -> None:
        if fifo_every < 1:
            raise ValueError("fifo_every must be >= 1")
        self.controller = controller
        self.in_flight = 0
        self.fifo_every = fifo_every
        # (priority, arrival, future), and the same futures by arrival; an entry whose
        # future is done (granted through the other, or cancelled) is skipped when reached.
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._by_arrival: deque[asyncio.Future[None]] = deque()
        self._arrivals = itertools.count()
        self._grants = 0
        # (in_flight, limit), for gauges: one per client that shares the gate
        self._listeners: list[Callable[[int, int], None]] = [on_change] if on_change else []

    @property
    def full(self) -> bool:
        """True when a new request would have to wait."""
        return bool(self._waiters) or self.in_flight >= self.controller.current

    @asynccontextmanager
    async def slot(self, priority: int = 0) -> AsyncIterator[int]:
        """Hold one slot; yields the controller epoch the request is issued under."""
        epoch = await self.acquire(priority)
        try:
            yield epoch
        finally:
            self.release()

    async def acquire(self, priority: int = 0) -> int:
        """Take a slot (waiting in line, by `priority`, if none is free); returns the
        controller epoch the request is issued under. Pair with `release`."""
        await self._acquire(priority)
        return self.controller.epoch

    def release(self) -> None:
        self._release()

    def succeeded(self) -> None:
        self.controller.on_success()
        self._wake()

    def throttled(self, issued_epoch: int, now: float, retry_after: float | None) -> bool:
        shrank = self.controller.on_throttle(issued_epoch, now, retry_after)
        if shrank:
            self._changed()
        return shrank

    async def _acquire(self, priority: int) -> None:
        if not self._waiters and self.in_flight < self.controller.current:
            self.in_flight += 1
            self._grants += 1
            self._changed()
            return
        waiter = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._arrivals), waiter))
        self._by_arrival.append(waiter)
        self._wake()  # a slot may be free behind waiters that have given up
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # granted just as we were cancelled: hand it on
            raise

    def _release(self) -> None:
        self.in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.in_flight < self.controller.current:
            waiter = self._next_waiter()
            if waiter is not None:
                self.in_flight += 1
                self._grants += 1
                waiter.set_result(None)
        self._changed()

    def _next_waiter(self) -> asyncio.Future[None] | None:
        if self._grants % self.fifo_every == self.fifo_every - 1:
            while self._by_arrival:
                waiter = self._by_arrival.popleft()
                if not waiter.done():
                    return waiter
        _, _, waiter = heapq.heappop(self._waiters)
        return None if waiter.done() else waiter

    def _changed(self) -> None:
        for listener in self._listeners:
            listener(self.in_flight, self.controller.current)

    def watch(self, listener: Callable[[int, int], None]) -> None:
        """Also report (in_flight, limit) changes to `listener`."""
        self._listeners.append(listener)
        listener(self.in_flight, self.controller.current)
