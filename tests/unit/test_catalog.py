"""The shipped scenario catalog and the scenario file contract."""

import json
from collections import Counter

import pytest
import yaml

from longweave.catalog import (
    SCENARIO_KEYS,
    CatalogError,
    catalog_version,
    dump_catalog,
    load_catalog,
    load_scenario_file,
)
from longweave.contracts.messages import SCENARIO_FIELDS

CATALOG = load_catalog()


def test_the_catalog_is_large_varied_versioned_and_outside_the_united_states():
    assert catalog_version() >= 2
    assert len(CATALOG) >= 200
    domains = Counter(s["domain"] for s in CATALOG)
    assert len(domains) >= 15 and min(domains.values()) >= 10
    assert len({s["geography"]["country"] for s in CATALOG}) >= 40
    assert len({s["geography"]["language"] for s in CATALOG}) >= 20
    assert not {s["geography"]["country"] for s in CATALOG} & {"United States", "USA"}
    assert len({s["business_scenario"] for s in CATALOG}) == len(CATALOG)
    # Every scenario offers variants, so repeats of a scenario differ in persona or tone.
    assert all(len(s["alt_user_personas"]) >= 2 and s["alt_tones"] for s in CATALOG)


def test_request_fields_name_real_catalog_fields():
    for field in SCENARIO_FIELDS:
        top = field.split(".")[0]
        assert top in SCENARIO_KEYS
        assert all(field.split(".")[-1] in s[top] for s in CATALOG if "." in field)


def scenario(**overrides):
    base = {k: v for k, v in CATALOG[0].items()}
    return {**base, **overrides}


def write(tmp_path, data, name="s.yaml"):
    path = tmp_path / name
    path.write_text(json.dumps(data) if name.endswith(".json") else yaml.safe_dump(data))
    return path


def test_a_scenario_file_may_be_a_catalog_a_list_or_one_scenario(tmp_path):
    one = scenario(scenario_id="mine-1")
    assert load_scenario_file(write(tmp_path, one))[0]["scenario_id"] == "mine-1"
    assert len(load_scenario_file(write(tmp_path, [one, scenario(scenario_id="mine-2")],
                                        "l.json"))) == 2
    assert len(load_scenario_file(write(tmp_path, {"version": 1, "scenarios": [one]}))) == 1


def test_invalid_scenarios_are_refused_with_every_problem_named(tmp_path):
    bad = [
        scenario(scenario_id="us-one", geography={**CATALOG[0]["geography"],
                                                  "country": "United States"}),
        scenario(scenario_id="Bad Id"),
        {k: v for k, v in scenario(scenario_id="no-tone").items() if k != "tone"},
        scenario(scenario_id="dup"), scenario(scenario_id="dup"),
        scenario(scenario_id="extra", colour="blue"),
    ]
    with pytest.raises(CatalogError) as info:
        load_scenario_file(write(tmp_path, bad))
    message = str(info.value)
    assert "5 problem(s)" in message
    assert "scenario #1 (us-one): geography.country: Value error, scenarios are deliberately " \
           "set outside the United States" in message
    assert "scenario #2 (Bad Id): scenario_id: String should match pattern" in message
    assert "scenario #3 (no-tone): tone: Field required" in message
    assert "scenario #5 (dup): scenario_id repeats scenario #4" in message
    assert "scenario #6 (extra): colour: Extra inputs are not permitted" in message


def test_unreadable_files_say_so(tmp_path):
    (tmp_path / "broken.yaml").write_text("scenarios: [unclosed")
    with pytest.raises(CatalogError, match="not valid YAML"):
        load_scenario_file(tmp_path / "broken.yaml")
    with pytest.raises(CatalogError, match="cannot read"):
        load_scenario_file(tmp_path / "missing.yaml")
    with pytest.raises(CatalogError, match="expected a list"):
        load_scenario_file(write(tmp_path, "just text"))


def test_an_export_loads_back_unchanged(tmp_path):
    path = tmp_path / "export.yaml"
    path.write_text(dump_catalog([{**s, "_id": s["scenario_id"], "source": "catalog"}
                                  for s in CATALOG[:5]], version=2))
    assert load_catalog(path) == CATALOG[:5]
    assert catalog_version(path) == 2
