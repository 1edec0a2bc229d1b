import pytest

from longweave.contracts import Usage
from longweave.llm.pricing import PriceTable
from longweave.settings import ModelPrice, Settings

USAGE = Usage(prompt_tokens=2_000_000, completion_tokens=500_000)


def test_cost_from_prices_per_million_tokens():
    table = PriceTable({"gpt-4o-mini": ModelPrice(prompt=0.15, completion=0.6)})
    assert table.cost_usd(USAGE, "gpt-4o-mini") == pytest.approx(0.3 + 0.3)


def test_first_priced_name_wins_then_the_wildcard():
    table = PriceTable({"served-name": ModelPrice(prompt=1, completion=1),
                        "*": ModelPrice(prompt=0, completion=10)})
    assert table.cost_usd(USAGE, "configured", "served-name") == pytest.approx(2.5)
    assert table.cost_usd(USAGE, "unknown") == pytest.approx(5.0)


def test_unpriced_model_has_no_cost():
    assert PriceTable().cost_usd(USAGE, "anything") is None


def test_price_table_from_the_environment(monkeypatch):
    monkeypatch.setenv("LONGWEAVE_LLM_PRICES",
                       '{"m": {"prompt": 3, "completion": 15}}')
    assert Settings().llm_prices == {"m": ModelPrice(prompt=3, completion=15)}
    monkeypatch.delenv("LONGWEAVE_LLM_PRICES")
    assert Settings().llm_prices == {}
