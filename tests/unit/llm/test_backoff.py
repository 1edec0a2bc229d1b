import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from longweave.llm.backoff import RETRYABLE_CLASSES, BackoffPolicy, parse_retry_after, status_class


@pytest.mark.parametrize(("status", "expected"), [
    (429, "rate_limited"), (500, "server_error"), (502, "server_error"), (503, "server_error"),
    (408, "timeout"), (400, "rejected"), (401, "rejected"), (404, "rejected"), (422, "rejected"),
])
def test_status_classes(status, expected):
    assert status_class(status) == expected


def test_only_other_4xx_are_final():
    assert "rejected" not in RETRYABLE_CLASSES
    for retried in ("rate_limited", "server_error", "timeout", "connection"):
        assert retried in RETRYABLE_CLASSES


def test_retry_after_seconds_milliseconds_and_dates():
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after": "0.25"}) == 0.25
    # OpenAI's millisecond header is more precise and wins.
    assert parse_retry_after({"retry-after": "1", "retry-after-ms": "1500"}) == 1.5
    now = datetime(2026, 1, 1, tzinfo=UTC)
    date = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=now) == 30.0
    assert parse_retry_after({"retry-after": "-3"}) == 0.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def test_exponential_backoff_with_equal_jitter():
    policy = BackoffPolicy(base_s=0.5, cap_s=4.0)
    rng = random.Random(7)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 4.0), (9, 4.0)]:
        delays = [policy.delay(attempt, None, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 100  # jittered, not in lockstep


def test_retry_after_is_honoured_with_a_little_jitter():
    policy = BackoffPolicy(cap_s=1.0, retry_after_jitter=0.1)
    rng = random.Random(1)
    delays = [policy.delay(1, 20.0, rng) for _ in range(100)]
    assert all(20.0 <= d <= 22.0 for d in delays)  # never shorter, even above the cap
