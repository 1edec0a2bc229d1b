"""Per-run LLM totals in MongoDB and the budget that stops a run.

Totals live in the run's document (``runs.llm_usage``) and count what was *paid*: every
HTTP reply that carried tokens, re-asks and retried calls included; cache hits are counted
apart (``cache_hits``) and cost nothing. ``$inc`` makes concurrent writers from any number
of processes safe. When a total reaches the run's budget the run is asked to stop
(`Store.request_stop(run_id, "budget")`): the mesh issues no new work for it, in-flight work
drains, and the run ends as "budget_stopped".
"""

from __future__ import annotations

import logging
from typing import Any

from pymongo import ReturnDocument

from longweave.contracts import RunBudget, Usage
from longweave.llm.errors import RunStopped
from longweave.llm.scope import budget_exceeded
from longweave.store import Store

log = logging.getLogger(__name__)

FIELD = "llm_usage"


class RunLedger:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._runs = store.db.runs

    async def ensure_can_spend(self, run_id: str, budget: RunBudget) -> None:
        """Raise `RunStopped` when the run was asked to stop or has used up its budget."""
        run = await self._runs.find_one({"_id": run_id}, {"stop_requested": 1, FIELD: 1})
        if run is None:
            return
        if run.get("stop_requested"):
            raise RunStopped(run_id, run["stop_requested"])
        if await self._stop_if_over(run_id, run.get(FIELD) or {}, budget):
            raise RunStopped(run_id, "budget")

    async def charge(self, run_id: str, role: str, usage: Usage, cost_usd: float,
                     budget: RunBudget) -> dict[str, Any]:
        """Add one paid reply to the run's totals; returns the totals after it."""
        amounts = {"calls": 1, "prompt_tokens": usage.prompt_tokens,
                   "completion_tokens": usage.completion_tokens, "cost_usd": cost_usd}
        run = await self._runs.find_one_and_update(
            {"_id": run_id}, {"$inc": _increments(role, amounts)},
            projection={FIELD: 1}, return_document=ReturnDocument.AFTER,
        )
        totals = (run or {}).get(FIELD) or {}
        await self._stop_if_over(run_id, totals, budget)
        return totals

    async def count_cache_hit(self, run_id: str, role: str) -> None:
        await self._runs.update_one({"_id": run_id},
                                    {"$inc": _increments(role, {"cache_hits": 1})})

    async def totals(self, run_id: str) -> dict[str, Any]:
        run = await self._runs.find_one({"_id": run_id}, {FIELD: 1})
        return (run or {}).get(FIELD) or {}

    async def _stop_if_over(self, run_id: str, totals: dict[str, Any], budget: RunBudget) -> bool:
        reason = budget_exceeded(totals, budget)
        if reason is None:
            return False
        if await self.store.request_stop(run_id, "budget"):
            log.warning("run %s is out of budget (%s): no new work will be issued", run_id,
                        reason)
        return True


def _increments(role: str, amounts: dict[str, float]) -> dict[str, float]:
    incs = {f"{FIELD}.{name}": value for name, value in amounts.items()}
    incs.update({f"{FIELD}.by_role.{role}.{name}": value for name, value in amounts.items()})
    return incs
