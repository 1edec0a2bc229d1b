"""What a call belongs to: its run (for budget and totals), the template version (part of
the cache key), whether the run allows the response cache, and the run's budget."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from longweave.contracts import RunBudget
from longweave.contracts.records import Sample


@dataclass(frozen=True)
class CallScope:
    run_id: str | None = None
    template_version: str | None = None
    cache: bool = True
    budget: RunBudget = field(default_factory=RunBudget)
    # Recorded with the call (llm_calls): which sample, attempt and purpose it served.
    sample_id: str | None = None
    attempt: int | None = None
    purpose: str | None = None
    # Lower is served sooner when the endpoint's slots are all taken (not recorded).
    priority: int = 0

    @classmethod
    def for_sample(cls, sample: Sample, template_version: str | None,
                   purpose: str | None = None, priority: int = 0) -> CallScope:
        """The scope of a call made for a sample (its spec carries the run's cache switch
        and budget, copied from the scenario request)."""
        return cls(
            run_id=sample.run_id,
            template_version=template_version,
            cache=sample.spec.cache,
            budget=sample.spec.budget,
            sample_id=sample.id,
            attempt=sample.attempt,
            purpose=purpose,
            priority=priority,
        )

    def record_fields(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "sample_id": self.sample_id, "attempt": self.attempt,
                "purpose": self.purpose, "prompt_version": self.template_version}


def budget_exceeded(totals: Mapping[str, Any], budget: RunBudget) -> str | None:
    """Why a run with these paid totals is over its budget, or None."""
    tokens = int(totals.get("prompt_tokens", 0)) + int(totals.get("completion_tokens", 0))
    if budget.max_tokens is not None and tokens >= budget.max_tokens:
        return f"{tokens} tokens used of a {budget.max_tokens}-token budget"
    cost = float(totals.get("cost_usd", 0.0))
    if budget.max_cost_usd is not None and cost >= budget.max_cost_usd:
        return f"${cost:.4f} spent of a ${budget.max_cost_usd:.4f} budget"
    return None
