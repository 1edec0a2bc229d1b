"""The scenario database in the real store, through `longweave scenarios ...`: idempotent
loading, user scenarios validated with clear errors, listing and a re-loadable export."""

from __future__ import annotations

import json

import pytest
import yaml

from longweave.catalog import load_catalog

pytestmark = pytest.mark.integration

CATALOG = load_catalog()


@pytest.fixture
def cli(longweave_cli):
    return lambda *args: longweave_cli("scenarios", *args)


def user_scenario(scenario_id: str, **overrides) -> dict:
    base = {k: v for k, v in CATALOG[0].items()}
    return {**base, "scenario_id": scenario_id, "domain": "maritime", **overrides}


def test_load_is_idempotent_and_user_scenarios_join_the_catalog(cli, tmp_path):
    first = cli("load")
    assert first.returncode == 0, first.stderr
    assert f"{len(CATALOG)} scenarios loaded, 0 retired" in first.stdout
    assert f"{len(CATALOG)} scenarios loaded, 0 retired" in cli("load").stdout

    mine = tmp_path / "mine.yaml"
    mine.write_text(yaml.safe_dump([user_scenario("maritime-crew-change-piraeus"),
                                    user_scenario("maritime-port-fees-durban")]))
    added = cli("add", str(mine))
    assert added.returncode == 0, added.stderr
    assert "added 2 scenarios" in added.stdout

    listed = cli("list", "--filter", "domain=maritime", "--json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {r["_id"] for r in rows} == {"maritime-crew-change-piraeus", "maritime-port-fees-durban"}
    assert {r["source"] for r in rows} == {"user"}

    # The export is a catalog file: it loads back with every scenario, user ones included.
    export = tmp_path / "export.yaml"
    assert cli("export", "--out", str(export)).returncode == 0
    assert len(load_catalog(export)) == len(CATALOG) + 2

    # A smaller catalog retires the shipped scenarios it no longer lists; user ones stay.
    smaller = tmp_path / "smaller.yaml"
    smaller.write_text(yaml.safe_dump({"version": 3, "scenarios": CATALOG[:10]},
                                      allow_unicode=True))
    assert f"10 scenarios loaded, {len(CATALOG) - 10} retired" in cli(
        "load", "--file", str(smaller)).stdout
    assert len(cli("list", "--json").stdout.splitlines()) == 12


def test_invalid_or_clashing_user_scenarios_are_refused_with_reasons(cli, tmp_path):
    assert cli("load").returncode == 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([
        user_scenario("in-denver", geography={**CATALOG[0]["geography"], "country": "USA"}),
        {"scenario_id": "half-done", "domain": "retail"},
    ]))
    refused = cli("add", str(bad))
    assert refused.returncode == 2
    assert "scenario #1 (in-denver): geography.country" in refused.stderr
    assert "outside the United States" in refused.stderr
    assert "scenario #2 (half-done): business_scenario: Field required" in refused.stderr

    clash = tmp_path / "clash.yaml"
    clash.write_text(yaml.safe_dump(user_scenario(CATALOG[3]["scenario_id"])))
    refused = cli("add", str(clash))
    assert refused.returncode == 2
    assert "already used by the shipped catalog" in refused.stderr
    assert cli("list", "--filter", "domain=maritime", "--json").stdout == ""
