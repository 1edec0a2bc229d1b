"""Helpers for the gateway's tests: time that tests control instead of the wall clock."""

from __future__ import annotations

HELLO = [{"role": "user", "content": "Say hello."}]


class RecordingSleep:
    """Stands in for asyncio.sleep in the client: records each wait and waits not at all,
    so tests assert on what the gateway decided rather than on the wall clock."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class FakeClock:
    """A clock that only moves when the client sleeps (for rate-limit pacing)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.delays: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds
