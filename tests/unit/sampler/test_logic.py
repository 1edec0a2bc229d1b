from longweave.contracts import ScenarioRequest
from longweave.sampler.logic import build_samples, choose_noise, choose_scenarios, sample_id

CATALOG = [{"scenario_id": f"s{i:02d}", "domain": f"d{i % 3}"} for i in range(10)]


def test_same_seed_same_choice_other_seed_other_choice():
    a = [s["scenario_id"] for s in choose_scenarios(CATALOG, 25, seed=1)]
    assert a == [s["scenario_id"] for s in choose_scenarios(CATALOG, 25, seed=1)]
    assert a != [s["scenario_id"] for s in choose_scenarios(CATALOG, 25, seed=2)]


def test_catalog_is_covered_before_any_scenario_repeats():
    ids = [s["scenario_id"] for s in choose_scenarios(CATALOG, 20, seed=3)]
    assert sorted(ids[:10]) == sorted(s["scenario_id"] for s in CATALOG)
    assert sorted(ids[10:]) == sorted(s["scenario_id"] for s in CATALOG)


def test_at_least_two_distinct_noise_transformations_per_sample():
    for index in range(20):
        noise = choose_noise(seed=5, index=index)
        assert len(set(noise)) >= 2
    assert choose_noise(5, 3) == choose_noise(5, 3)


def test_samples_snapshot_scenario_spec_and_deterministic_ids():
    request = ScenarioRequest(request_id="q", run_id="run-x", count=2, seed=4)
    docs = build_samples(request, choose_scenarios(CATALOG, 2, 4), created_at=None)
    assert [d["_id"] for d in docs] == [sample_id("run-x", 0), sample_id("run-x", 1)]
    assert docs[0]["spec"]["segments"] == 2 and docs[0]["attempt"] == 1
    assert docs[0]["scenario"]["scenario_id"] == docs[0]["scenario_id"]
