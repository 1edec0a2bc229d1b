"""Cost of a call from a configurable price table (USD per million tokens, per model).

The table comes from ``LONGWEAVE_LLM_PRICES`` (JSON: ``{"model": {"prompt": 0.15,
"completion": 0.6}}``); the ``"*"`` entry, if any, prices every other model. A model without
a price costs 0 — the client logs that once per model, so a zero never goes unnoticed.
"""

from __future__ import annotations

from collections.abc import Mapping

from longweave.contracts import Usage
from longweave.settings import ModelPrice

WILDCARD = "*"


class PriceTable:
    def __init__(self, prices: Mapping[str, ModelPrice] | None = None) -> None:
        self._prices = dict(prices or {})

    def price_of(self, *models: str) -> ModelPrice | None:
        """The first of `models` with a price (e.g. the configured name, then the name the
        reply reports), else the wildcard entry."""
        for model in models:
            if model in self._prices:
                return self._prices[model]
        return self._prices.get(WILDCARD)

    def cost_usd(self, usage: Usage, *models: str) -> float | None:
        """USD for `usage`; None when no price applies."""
        price = self.price_of(*models)
        if price is None:
            return None
        return (usage.prompt_tokens * price.prompt
                + usage.completion_tokens * price.completion) / 1_000_000
