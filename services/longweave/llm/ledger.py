"""Per-run LLM totals in MongoDB and the budget that stops a run.

Totals live in the run's document (``runs.llm_usage``) and count what was *paid*: every
HTTP reply that carried tokens, re-asks and retried calls included; cache hits are counted
apart (``cache_hits``) and cost nothing. ``$inc`` makes concurrent writers from any number
of processes safe. When a total reaches the run's budget the run is asked to stop
(`Store.request_stop(run_id, "budget")`): the mesh issues no new work for it, in-flight work
drains, and the run ends as "budget_stopped".

Writes are batched: a process adds its calls up in memory and writes them as one ``$inc``
per run every ``flush_interval_s`` (and when closed), and it reads a run's stop flag and
totals at most every ``refresh_s``: two store operations per call were most of a record's
store load. Budgets are checked against the stored totals plus this process's unwritten
ones, so with several processes a run can overshoot by what the others spend within one
interval. A process killed outright loses its last interval of totals (each call is still
recorded in ``llm_calls``).

Each charge also tells the process's `BudgetUse` (budget_watch.py) how much of its budget
the run has used, for the budget gauge; a run seen stopped, finished or gone is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pymongo.errors import PyMongoError

from longweave.budget_watch import BudgetUse, budget_used_share
from longweave.contracts import RunBudget, Usage
from longweave.llm.errors import RunStopped
from longweave.llm.scope import budget_exceeded
from longweave.store import FINISHED_RUN_STATUSES, Store

log = logging.getLogger(__name__)

FIELD = "llm_usage"


@dataclass
class _RunView:
    """What this process last read of a run, and when."""

    read_at: float
    exists: bool
    stop_requested: str | None = None
    finished: bool = False
    totals: dict[str, float] = field(default_factory=dict)  # run-wide: calls, tokens, cost

    @property
    def ended(self) -> bool:
        """No more spending: the run is gone, finished or asked to stop."""
        return not self.exists or self.finished or self.stop_requested is not None


class RunLedger:
    def __init__(self, store: Store, flush_interval_s: float = 0.5, refresh_s: float = 1.0,
                 clock: Any = time.monotonic, budget_use: BudgetUse | None = None) -> None:
        self.store = store
        self._budget_use = budget_use
        self._flush_interval_s = flush_interval_s
        self._refresh_s = refresh_s
        self._clock = clock
        self._views: dict[str, _RunView] = {}
        # run → field → amount not yet written
        self._pending: defaultdict[str, defaultdict[str, float]] = defaultdict(
            lambda: defaultdict(float))
        self._flusher: asyncio.Task[None] | None = None

    async def ensure_can_spend(self, run_id: str, budget: RunBudget) -> None:
        """Raise `RunStopped` when the run was asked to stop or has used up its budget."""
        view = await self._view(run_id)
        if not view.exists:
            return
        if view.stop_requested:
            self._report_use(run_id, view, None)
            raise RunStopped(run_id, view.stop_requested)
        if await self._stop_if_over(run_id, budget):
            raise RunStopped(run_id, "budget")

    async def charge(self, run_id: str, role: str, usage: Usage, cost_usd: float,
                     budget: RunBudget) -> None:
        """Add one paid reply to the run's totals."""
        self._add(run_id, role, {"calls": 1, "prompt_tokens": usage.prompt_tokens,
                                 "completion_tokens": usage.completion_tokens,
                                 "cost_usd": cost_usd})
        await self._stop_if_over(run_id, budget, charged=True)

    async def count_cache_hit(self, run_id: str, role: str) -> None:
        self._add(run_id, role, {"cache_hits": 1})

    async def flush(self) -> None:
        """Write every run's unwritten totals (one ``$inc`` per run)."""
        for run_id in list(self._pending):
            increments = self._pending.pop(run_id)
            try:
                await self.store.batches("runs").increment(run_id, dict(increments))
            except PyMongoError:
                _merge(self._pending[run_id], increments)  # kept for the next flush
                raise
            view = self._views.get(run_id)
            if view is not None:  # what was read plus what was written since
                _merge(view.totals, _run_wide(increments))

    async def aclose(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        try:
            await self.flush()
        except PyMongoError as exc:
            log.warning("could not write the last LLM totals: %s", exc)

    def _add(self, run_id: str, role: str, amounts: dict[str, float]) -> None:
        pending = self._pending[run_id]
        for name, value in _increments(role, amounts).items():
            pending[name] += value
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        while self._pending:
            await asyncio.sleep(self._flush_interval_s)
            try:
                await self.flush()
            except PyMongoError as exc:
                log.warning("could not write LLM totals (will retry): %s", exc)

    async def _view(self, run_id: str) -> _RunView:
        view = self._views.get(run_id)
        if view is None or self._clock() - view.read_at >= self._refresh_s:
            # Merged with the other handlers' reads of the run (store_batches.py): when a
            # view expires, every call in flight asks for it at once.
            run = await self.store.get_run(run_id)
            view = _RunView(read_at=self._clock(), exists=run is not None,
                            stop_requested=(run or {}).get("stop_requested"),
                            finished=(run or {}).get("status") in FINISHED_RUN_STATUSES,
                            totals=_run_wide_of((run or {}).get(FIELD) or {}))
            self._views[run_id] = view
        return view

    async def _stop_if_over(self, run_id: str, budget: RunBudget, charged: bool = False
                            ) -> bool:
        if budget.max_tokens is None and budget.max_cost_usd is None:
            return False
        view = await self._view(run_id)
        totals = dict(view.totals)
        _merge(totals, _run_wide(self._pending.get(run_id, {})))
        reason = budget_exceeded(totals, budget)
        if reason is None:
            if charged:
                self._report_use(run_id, view, budget_used_share(totals, budget))
            return False
        view.stop_requested = "budget"
        self._report_use(run_id, view, None)
        if await self.store.request_stop(run_id, "budget"):
            log.warning("run %s is out of budget (%s): no new work will be issued", run_id,
                        reason)
        return True

    def _report_use(self, run_id: str, view: _RunView, share: float | None) -> None:
        """Tell the budget gauge how much of its budget a charged run has used, or that it
        has ended (then, and for a run without a budget, `share` is None)."""
        if self._budget_use is None:
            return
        if view.ended or share is None:
            self._budget_use.ended(run_id)
        else:
            self._budget_use.charged(run_id, share)


def _merge(totals: dict[str, Any], increments: Any) -> None:
    for name, value in increments.items():
        totals[name] = totals.get(name, 0) + value


def _run_wide_of(usage: dict[str, Any]) -> dict[str, float]:
    """The run-wide totals of a stored ``llm_usage`` (not its per-role breakdown)."""
    return {name: value for name, value in usage.items() if not isinstance(value, dict)}


def _run_wide(increments: Any) -> dict[str, float]:
    """The run-wide part of `_increments` ("llm_usage.<name>"), keyed by name."""
    prefix = FIELD + "."
    return {path.removeprefix(prefix): value for path, value in increments.items()
            if path.count(".") == 1}


def _increments(role: str, amounts: dict[str, float]) -> dict[str, float]:
    incs = {f"{FIELD}.{name}": value for name, value in amounts.items()}
    incs.update({f"{FIELD}.by_role.{role}.{name}": value for name, value in amounts.items()})
    return incs
