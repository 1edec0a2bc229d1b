"""Client-side pacing for Kafka-protocol brokers that do not long-poll.

A Kafka broker holds an empty fetch for up to ``fetch.max.wait.ms``. Some compatible
brokers (the local stack's noida-db among them) answer at once instead, and aiokafka then
fetches again in a tight loop: one idle consumer burned ~0.5 of a core here, and the mesh's
16 idle consumers starved the local model. Pacing empty fetches to one per interval fixes
that; against a broker that does long-poll, an empty fetch already takes longer than the
interval, so nothing changes.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiokafka.consumer.fetcher import Fetcher

_PACED = "_longweave_paced"


def pace_empty_fetches(min_interval_s: float) -> None:
    """Make every aiokafka consumer in this process wait `min_interval_s` between fetches
    that returned nothing (idempotent; 0 turns pacing off for later installs)."""
    if min_interval_s <= 0 or getattr(Fetcher._proc_fetch_request, _PACED, False):
        return
    unpaced = Fetcher._proc_fetch_request

    async def paced(self: Fetcher, assignment: Any, node_id: int, request: Any) -> bool:
        started = time.monotonic()
        has_new_data = await unpaced(self, assignment, node_id, request)
        if not has_new_data:
            remaining = min_interval_s - (time.monotonic() - started)
            if remaining > 0:
                try:
                    await asyncio.sleep(remaining)
                except asyncio.CancelledError:
                    # aiokafka cancels fetch tasks on close/unassign and expects them to
                    # end quietly, as the unpaced coroutine does.
                    return False
        return has_new_data

    setattr(paced, _PACED, True)
    Fetcher._proc_fetch_request = paced  # type: ignore[method-assign]
