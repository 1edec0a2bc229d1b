"""The budget gauge's logic: a run's share of its budget, and the highest share among the
runs still spending (runs that ended or went idle drop out)."""

import pytest

from longweave.budget_watch import IDLE_AFTER_S, BudgetUse, budget_used_share
from longweave.contracts import RunBudget
from longweave.observability import ServiceMetrics


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_share_is_the_budget_nearer_its_limit():
    totals = {"prompt_tokens": 600, "completion_tokens": 300, "cost_usd": 0.25}
    assert budget_used_share(totals, RunBudget()) is None  # no budget: not watched
    assert budget_used_share(totals, RunBudget(max_tokens=1000)) == pytest.approx(0.9)
    assert budget_used_share(totals, RunBudget(max_cost_usd=1.0)) == pytest.approx(0.25)
    both = RunBudget(max_tokens=10_000, max_cost_usd=0.5)
    assert budget_used_share(totals, both) == pytest.approx(0.5)  # cost is nearer
    assert budget_used_share({}, RunBudget(max_tokens=10)) == 0.0
    assert budget_used_share({"cost_usd": 2.0}, RunBudget(max_cost_usd=1.0)) == 2.0


def test_the_highest_share_among_the_runs_still_spending():
    clock = Clock()
    use = BudgetUse(clock=clock)
    assert use.highest() == 0.0
    use.charged("run-a", 0.4)
    use.charged("run-b", 0.93)
    assert use.highest() == pytest.approx(0.93)
    use.charged("run-a", 0.95)  # the latest share of a run replaces its earlier one
    assert use.highest() == pytest.approx(0.95)
    use.ended("run-a")  # stopped or finished
    assert use.highest() == pytest.approx(0.93)
    use.ended("run-a")  # ending twice (a redelivery) is harmless
    use.ended("run-b")
    assert use.highest() == 0.0 and len(use) == 0


def test_a_run_not_charged_for_a_while_is_forgotten():
    clock = Clock()
    use = BudgetUse(clock=clock)
    use.charged("finished-elsewhere", 0.97)
    clock.now += IDLE_AFTER_S / 2
    use.charged("busy", 0.5)
    assert use.highest() == pytest.approx(0.97)
    clock.now += IDLE_AFTER_S / 2 + 1  # the first idle past the limit, the second not
    assert use.highest() == pytest.approx(0.5)
    assert len(use) == 1
    use.charged("finished-elsewhere", 0.98)  # charged again: back
    assert use.highest() == pytest.approx(0.98)


def test_the_gauge_reads_the_highest_share_at_each_scrape():
    metrics = ServiceMetrics("generator")
    read = lambda: metrics.registry.get_sample_value("longweave_budget_used_ratio")  # noqa: E731
    assert read() == 0.0
    metrics.budget_use.charged("run-1", 0.91)
    assert read() == pytest.approx(0.91)
    assert 'run-1' not in metrics.exposition().decode()  # no run id reaches Prometheus
    metrics.budget_use.ended("run-1")
    assert read() == 0.0
