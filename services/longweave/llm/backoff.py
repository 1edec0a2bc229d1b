"""When to retry and how long to wait: error classes, Retry-After parsing, jittered
exponential backoff. Pure functions; the client supplies the clock and the randomness."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# Failures worth another attempt. "rejected" (any other 4xx) is final: the same request
# would be rejected again.
RETRYABLE_CLASSES = frozenset(
    {"rate_limited", "server_error", "timeout", "connection", "malformed_response"}
)


def status_class(status: int) -> str:
    """The error class of a non-2xx HTTP status."""
    if status == 429:
        return "rate_limited"
    if status == 408:  # the server gave up waiting for us: a timeout, not a rejection
        return "timeout"
    if status >= 500:
        return "server_error"
    return "rejected"


def parse_retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` (OpenAI, Azure) or ``Retry-After`` (seconds
    or an HTTP date); None when absent or unreadable. Header names are lower-case."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class BackoffPolicy:
    """Exponential backoff with "equal jitter" (half fixed, half random: never zero, never
    in lockstep with other clients); a server's Retry-After wins, plus a little jitter so
    the clients it throttled do not return all at once."""

    base_s: float = 0.5
    cap_s: float = 30.0
    retry_after_jitter: float = 0.1

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (``attempt`` counts from 1)."""
        if retry_after is not None:
            return retry_after * (1.0 + rng.uniform(0.0, self.retry_after_jitter))
        ceiling = min(self.cap_s, self.base_s * 2 ** (attempt - 1))
        return rng.uniform(ceiling / 2, ceiling)
