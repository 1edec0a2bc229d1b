"""Sampling from the shipped catalog: determinism, stratification, recorded fields."""

from collections import Counter

import pytest
from aiokafka.partitioner import DefaultPartitioner

from longweave.catalog import load_catalog
from longweave.complexify import operator_names
from longweave.contracts import ScenarioRequest
from longweave.noise import NOISE_INSTRUCTIONS
from longweave.sampler.logic import (
    build_samples,
    choose_noise_names,
    choose_operators,
    choose_scenarios,
    request_problems,
    sample_id,
)
from support.samples import CREATED

CATALOG = load_catalog()


def request(**fields) -> ScenarioRequest:
    return ScenarioRequest.model_validate({"request_id": "q", "run_id": "run-x", "count": 10,
                                           **fields})


def samples(**fields) -> list[dict]:
    """The sample documents as stored."""
    r = request(**fields)
    picks = choose_scenarios(CATALOG, r.count, r.seed, r.filters, r.weights)
    return [s.document() for s in build_samples(r, picks, created_at=CREATED)]


def test_same_seed_same_samples_other_seed_other_samples():
    first = samples(count=300, seed=11, complexity=2)
    assert first == samples(count=300, seed=11, complexity=2)
    other = samples(count=300, seed=12, complexity=2)
    assert [d["combination_id"] for d in first] != [d["combination_id"] for d in other]


def test_a_thousand_samples_are_distinct_combinations_over_every_domain():
    """The field combination is (scenario, user persona, tone, layers, noise); even the
    coarser (scenario, persona, tone) must not repeat within 1,000 samples."""
    docs = samples(count=1000, seed=0)
    combinations = {d["combination_id"] for d in docs}
    assert len(combinations) / len(docs) >= 0.95
    core = {(d["scenario_id"], d["sampled"]["user_persona"], d["sampled"]["tone"]) for d in docs}
    assert len(core) / len(docs) >= 0.95
    assert {d["sampled"]["domain"] for d in docs} == {s["domain"] for s in CATALOG}


def test_every_scenario_is_used_once_before_any_is_used_twice():
    docs = samples(count=len(CATALOG) + 40, seed=3)
    first_pass = [d["scenario_id"] for d in docs[:len(CATALOG)]]
    assert sorted(first_pass) == sorted(s["scenario_id"] for s in CATALOG)
    assert all(d["sampled"]["occurrence"] == 1 for d in docs[len(CATALOG):])


def test_a_small_request_spans_the_domains():
    domains = {s["domain"] for s in CATALOG}
    docs = samples(count=len(domains), seed=5)
    assert {d["sampled"]["domain"] for d in docs} == domains


def test_every_sampled_field_is_recorded_and_the_snapshot_uses_the_variant():
    for doc in samples(count=50, seed=2, complexity=2):
        sampled, scenario = doc["sampled"], doc["scenario"]
        assert set(sampled) >= {"scenario_id", "domain", "geography", "tone", "register",
                                "user_persona", "assistant_persona", "audience",
                                "document_type", "layers", "noise", "occurrence"}
        assert set(sampled["geography"]) == {"country", "city", "locale", "language"}
        assert scenario["tone"] == sampled["tone"]
        assert scenario["user_persona"] == sampled["user_persona"]
        assert "alt_tones" not in scenario and "alt_user_personas" not in scenario
        assert [layer["operator"] for layer in doc["layers"]] == sampled["layers"]
        assert len(doc["layers"]) == 2


def test_filters_and_weights_shape_the_samples():
    docs = samples(count=200, seed=1, filters={"geography.country": ["India", "Kenya"]})
    assert {d["sampled"]["geography"]["country"] for d in docs} == {"India", "Kenya"}
    docs = samples(count=100, seed=1, filters={"tone": "precise", "domain": "software"})
    assert {(d["sampled"]["tone"], d["sampled"]["domain"]) for d in docs} == {
        ("precise", "software")}
    docs = samples(count=1800, seed=1, weights={"domain": {"finance": 3.0, "legal": 0}})
    domains = Counter(d["sampled"]["domain"] for d in docs)
    assert "legal" not in domains
    assert domains["finance"] == pytest.approx(3 * domains["retail"], abs=2)


def test_complexity_sets_the_layer_count_and_operators_can_be_restricted():
    assert all(d["layers"] == [] for d in samples(complexity=0))
    docs = samples(count=30, complexity=2, complexify_operators=["format_constraint",
                                                                  "length_constraint"])
    assert all(sorted(d["sampled"]["layers"]) == ["format_constraint", "length_constraint"]
               for d in docs)
    assert all(layer["spec"]["check"] in ("format", "max_words_per_turn")
               for d in docs for layer in d["layers"])


def test_operator_combinations_all_appear_before_any_repeats():
    names = operator_names()
    every_pair = len(names) * (len(names) - 1) // 2
    pairs = [frozenset(choose_operators(names, 2, seed=4, index=i)) for i in range(every_pair)]
    assert len(set(pairs)) == every_pair and all(len(p) == 2 for p in pairs)
    assert choose_operators(names, 2, seed=4, index=every_pair) in (
        list(pairs[0]), list(pairs[0])[::-1])


def test_noise_is_at_least_two_distinct_transformations_cycling_through_all_pairs():
    pairs = [tuple(choose_noise_names(seed=5, index=i)) for i in range(6)]
    assert len(set(pairs)) == 6 and all(len(set(p)) == 2 for p in pairs)
    assert choose_noise_names(5, 3) == choose_noise_names(5, 3)
    doc = samples(count=1, noise_transformations=3)[0]
    assert len(doc["sampled"]["noise"]) == 3
    assert doc["noise"] == [NOISE_INSTRUCTIONS[n] for n in doc["sampled"]["noise"]]


def test_noise_levels_below_the_methods_two_exist_for_the_noise_experiment():
    assert choose_noise_names(5, 0, k=0) == []
    singles = {tuple(choose_noise_names(5, i, k=1)) for i in range(len(NOISE_INSTRUCTIONS))}
    assert singles == {(name,) for name in NOISE_INSTRUCTIONS}
    assert [d["noise"] for d in samples(count=3, noise_transformations=0)] == [[], [], []]
    # The same seed draws the same scenarios whatever the noise level (the arms compare).
    assert ([d["scenario_id"] for d in samples(count=5, noise_transformations=0)]
            == [d["scenario_id"] for d in samples(count=5, noise_transformations=2)])


def test_scenario_fields_reach_the_spec_the_prompts_read():
    doc = samples(count=1, scenario_fields=3)[0]
    assert doc["spec"]["scenario_fields"] == 3
    assert samples(count=1)[0]["spec"].get("scenario_fields") is None


def test_requests_that_cannot_be_sampled_say_why():
    assert request_problems(request(), CATALOG) == []
    problems = request_problems(request(complexify_operators=["teleport"], complexity=1,
                                        filters={"domain": "astrology"},
                                        weights={"tone": {"grumpy": 2}}), CATALOG)
    assert any("unknown 'teleport'" in p for p in problems)
    assert any("filters.domain: no scenario has 'astrology'" in p for p in problems)
    assert any("weights.tone: no scenario has 'grumpy'" in p for p in problems)
    # Operators written for another paradigm are unknown to this one.
    problems = request_problems(request(complexify_operators=["answer_length"]), CATALOG)
    assert problems == ["complexify_operators: unknown 'answer_length' (known for "
                        f"conversation: {', '.join(operator_names('conversation'))})"]
    problems = request_problems(request(filters={"domain": "legal"},
                                        weights={"domain": {"legal": 0}}), CATALOG)
    assert problems and "no scenario matches" in problems[0]
    problems = request_problems(request(filters={"domain": "legal",
                                                 "geography.country": "Japan"}), CATALOG)
    assert problems and "no scenario matches" in problems[0]


def test_the_paradigm_and_its_params_are_checked_one_line_per_problem():
    assert request_problems(request(paradigm="poetry"), CATALOG) == [
        "paradigm: unknown paradigm 'poetry' (known: claims, conversation, document_qa, instruction, reasoning)"]
    problems = request_problems(request(params={"segments": 0, "turn": 2}), CATALOG)
    assert problems == ["params.segments: Input should be greater than or equal to 1",
                        "params.turn: Extra inputs are not permitted"]


def test_a_sample_carries_the_validated_params_with_defaults_and_its_unit_count():
    [sample] = samples(count=1, params={"segments": 3})
    spec = sample["spec"]
    assert spec["paradigm"] == "conversation" and spec["units"] == 3
    assert spec["params"]["segments"] == 3 and spec["params"]["turns_per_segment"] == 2
    assert "segments" not in spec  # the common fields and the paradigm's are kept apart
    assert len(sample["layers"]) == 1  # the conversation's default complexity


def test_sample_ids_are_deterministic_and_spread_evenly_over_partitions():
    docs = samples(count=3)
    assert [d["_id"] for d in docs] == [sample_id("run-x", i) for i in range(3)]
    partitions = list(range(6))
    per_partition = Counter(
        DefaultPartitioner()(sample_id("run-20260101-000000-abcdef", i).encode(), partitions,
                             partitions) for i in range(1200))
    assert set(per_partition) == set(partitions)
    assert max(per_partition.values()) <= 1.25 * 200 and min(per_partition.values()) >= 0.75 * 200


def test_building_samples_in_slices_gives_the_same_samples():
    r = request(count=25, seed=9, complexity=2)
    picks = choose_scenarios(CATALOG, r.count, r.seed)
    whole = build_samples(r, picks, created_at=CREATED)
    sliced = [doc for start in range(0, 25, 10)
              for doc in build_samples(r, picks[start:start + 10], CREATED, first_index=start)]
    assert sliced == whole


def test_a_request_that_matches_no_document_says_which_filter_matched_none():
    from longweave.paradigms import PARADIGMS
    from longweave.sampler.logic import corpus_problems

    for name in ("document_qa", "reasoning"):
        paradigm = PARADIGMS[name]
        params = paradigm.parse_params({"tags": ["novel"], "collection": "books"})
        assert corpus_problems(paradigm, params, []) == [
            "params: no document in the corpus matches {'collection': 'books', 'tags': "
            "{'$all': ['novel']}} (add some with `longweave documents add`)"]
