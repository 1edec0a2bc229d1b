"""How near the runs a process spends for are to their budgets: the one number the budget
gauge (`longweave_budget_used_ratio`) exports, and the "budget near its limit" alert reads.

A gauge per run would need the run id as a label, and run ids grow without bound; so each
process exports the highest share of its budget that any run it spends for has used. Only
runs that have a budget (`RunBudget`), are still going and were charged here within
`IDLE_AFTER_S` count: a run that was stopped or finished, or that this process has not
charged for a while, is forgotten, or its last share would hold the gauge (and the alert)
up for good. Pure logic: the LLM gateway's ledger (llm/ledger.py) feeds it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from longweave.contracts import RunBudget

# A run still spending is charged many times a minute; one whose work has ended stops
# being charged and drops out within this, well inside the alert's 5 minutes.
IDLE_AFTER_S = 120.0


def budget_used_share(totals: Mapping[str, Any], budget: RunBudget) -> float | None:
    """The share of its budget a run with these paid totals has used: tokens or cost,
    whichever is nearer its limit (1.0 is the limit). None for a run without a budget."""
    shares = []
    if budget.max_tokens is not None:
        tokens = int(totals.get("prompt_tokens", 0)) + int(totals.get("completion_tokens", 0))
        shares.append(tokens / budget.max_tokens)
    if budget.max_cost_usd is not None:
        shares.append(float(totals.get("cost_usd", 0.0)) / budget.max_cost_usd)
    return max(shares) if shares else None


class BudgetUse:
    """The runs' last known shares of their budgets, by run (held here, never exported)."""

    def __init__(self, idle_after_s: float = IDLE_AFTER_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._idle_after_s = idle_after_s
        self._clock = clock
        self._runs: dict[str, tuple[float, float]] = {}  # run → (share, charged at)

    def charged(self, run_id: str, share: float) -> None:
        """A run still going, with a budget, was charged: it has used `share` of it."""
        self._runs[run_id] = (share, self._clock())

    def ended(self, run_id: str) -> None:
        """The run was stopped (its budget, a cancel) or finished: it spends no more."""
        self._runs.pop(run_id, None)

    def highest(self) -> float:
        """The highest share among the runs charged within `IDLE_AFTER_S`; 0 when none is.
        Runs idle longer are forgotten here (this is read at every scrape)."""
        now = self._clock()
        for run_id in [r for r, (_, at) in self._runs.items() if now - at > self._idle_after_s]:
            del self._runs[run_id]
        return max((share for share, _ in self._runs.values()), default=0.0)

    def __len__(self) -> int:
        return len(self._runs)
