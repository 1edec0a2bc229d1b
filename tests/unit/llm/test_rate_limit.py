import pytest

from longweave.llm.rate_limit import RateLimiter, TokenBucket


class FakeTime:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def clock(self):
        return self.now

    async def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_bucket_holds_one_second_and_refills_at_its_rate():
    bucket = TokenBucket(per_minute=600, now=0.0)  # 10/s, capacity 10
    assert bucket.capacity == 10
    for _ in range(10):
        assert bucket.delay_for(1, 0.0) == 0
        bucket.take(1, 0.0)
    assert bucket.delay_for(1, 0.0) == pytest.approx(0.1)
    assert bucket.delay_for(1, 0.1) == 0


def test_a_request_larger_than_the_bucket_goes_into_debt():
    bucket = TokenBucket(per_minute=60_000, now=0.0)  # 1000 tokens/s, capacity 1000
    assert bucket.delay_for(5000, 0.0) == 0  # a full bucket admits it
    bucket.take(5000, 0.0)
    assert bucket.delay_for(100, 0.0) == pytest.approx(4.1)  # the debt is waited out


async def test_requests_per_minute_paces_calls():
    t = FakeTime()
    limiter = RateLimiter(requests_per_minute=60, tokens_per_minute=None, clock=t.clock,
                          sleep=t.sleep)
    for _ in range(5):
        await limiter.admit(tokens=100)
    assert t.now == pytest.approx(4.0)  # 1/s, the first one at once


async def test_tokens_per_minute_paces_by_estimated_tokens_and_refunds_unused():
    t = FakeTime()
    limiter = RateLimiter(requests_per_minute=None, tokens_per_minute=6000, clock=t.clock,
                          sleep=t.sleep)  # 100 tokens/s
    await limiter.admit(tokens=100)
    await limiter.admit(tokens=100)
    assert t.now == pytest.approx(1.0)
    limiter.settle(estimated_tokens=100, actual_tokens=20)  # 80 back
    waited = await limiter.admit(tokens=80)
    assert waited == 0 and t.now == pytest.approx(1.0)


async def test_both_budgets_apply():
    t = FakeTime()
    limiter = RateLimiter(requests_per_minute=600, tokens_per_minute=600, clock=t.clock,
                          sleep=t.sleep)  # 10 req/s but only 10 tokens/s
    for _ in range(3):
        await limiter.admit(tokens=10)
    assert t.now == pytest.approx(2.0)


def test_no_budgets_means_inactive():
    t = FakeTime()
    assert not RateLimiter(None, None, clock=t.clock, sleep=t.sleep).active
