"""`publish` flags as request fields (cli/request_flags.py), and the names errors give them."""

from pathlib import Path

import pytest

from longweave.cli.request_flags import filters_of, parse_weight, request_fields, where_set
from longweave.client import build_request


def test_flags_override_the_file_and_params_merge():
    file_fields = {"paradigm": "conversation", "count": 5, "params": {"segments": 3}}
    fields = request_fields({"count": 7, "turns": 4, "filters": ("domain=finance",),
                             "param": ("required_fields=[a, b]",)}, file_fields)
    assert fields == {"paradigm": "conversation", "count": 7, "filters": {"domain": "finance"},
                      "params": {"segments": 3, "turns_per_segment": 4,
                                 "required_fields": ["a", "b"]}}


def test_repeated_filters_become_any_of_and_merge_with_the_file():
    got = request_fields({"filters": ("geography.country=Kenya", "geography.country=Peru",
                                     "domain=legal")},
                         {"count": 5, "filters": {"tone": "formal"}})
    assert got["filters"] == {"tone": "formal", "geography.country": ["Kenya", "Peru"],
                              "domain": "legal"}


def test_weights_complexity_operators_noise_cache_and_budget():
    got = request_fields({"count": 4, "weight": ("domain=finance=2", "domain=legal=0.5",
                                                 "geography.country=Côte d'Ivoire=3"),
                          "complexity": 2, "operator": ("deepen", "concretise"), "noise": 3,
                          "no_cache": True, "budget_tokens": 5000, "budget_usd": 1.5})
    assert got["weights"] == {"domain": {"finance": 2.0, "legal": 0.5},
                              "geography.country": {"Côte d'Ivoire": 3.0}}
    assert (got["complexity"], got["complexify_operators"], got["noise_transformations"]) == (
        2, ["deepen", "concretise"], 3)
    request = build_request(got)
    assert request.weights["domain"]["finance"] == 2.0
    assert request.cache is False
    assert (request.budget.max_tokens, request.budget.max_cost_usd) == (5000, 1.5)


@pytest.mark.parametrize(("item", "message"), [
    ("domain=finance", "--weight wants FIELD=VALUE=WEIGHT, got 'domain=finance'"),
    ("domain=x=lots", "--weight wants FIELD=VALUE=WEIGHT, got 'domain=x=lots'"),
])
def test_malformed_weights_are_refused(item, message):
    with pytest.raises(ValueError, match=message):
        parse_weight(item)


def test_a_filter_without_a_value_is_refused_and_an_equals_sign_may_sit_in_the_value():
    with pytest.raises(ValueError, match="--filter wants FIELD=VALUE, got 'domain'"):
        filters_of(["domain"])
    assert filters_of(["title=a=b"]) == {"title": "a=b"}


def test_a_field_is_named_by_the_flag_given_else_by_its_place_in_the_file():
    assert where_set("count", {"--count"}, None) == "--count"
    assert where_set("params.segments", set(), None) == "--segments"
    assert where_set("params.window", set(), None) == "--param window"
    assert where_set("count", set(), Path("r.yaml")) == "count in r.yaml"
    assert where_set("count", {"--count"}, Path("r.yaml")) == "--count"
    assert where_set("bogus", set(), Path("r.yaml")) == "bogus in r.yaml"


def test_every_publish_flag_reaches_the_request():
    """The flags as click parses them (their parameter names) are what request_fields
    reads: a flag parsed and then ignored would publish a request the user did not ask for."""
    from longweave.cli.publish_commands import publish

    argv = ["--paradigm", "conversation", "--param", "required_fields=[a]", "--count", "3",
            "--objective", "dpo", "--segments", "2", "--turns", "3", "--target-tokens", "900",
            "--tolerance", "0.3", "--max-attempts", "2", "--judge-min-score", "4",
            "--filter", "domain=legal", "--weight", "tone=calm=2", "--complexity", "1",
            "--operator", "deepen", "--noise", "1", "--scenario-fields", "2", "--seed", "5",
            "--run-id", "run-x", "--no-cache", "--budget-tokens", "100", "--budget-usd", "1.5"]
    flags = publish.make_context("publish", list(argv)).params  # it consumes the list
    assert request_fields(flags) == {
        "paradigm": "conversation", "count": 3, "objective": "dpo", "max_attempts": 2,
        "judge_min_score": 4, "seed": 5, "run_id": "run-x", "complexity": 1,
        "noise_transformations": 1, "scenario_fields": 2,
        "complexify_operators": ["deepen"], "cache": False,
        "params": {"segments": 2, "turns_per_segment": 3, "target_tokens": 900,
                   "length_tolerance": 0.3, "required_fields": ["a"]},
        "budget": {"max_tokens": 100, "max_cost_usd": 1.5},
        "filters": {"domain": "legal"}, "weights": {"tone": {"calm": 2.0}}}
    every_flag = {opt for p in publish.params for opt in p.opts} - {"--file", "--help"}
    assert every_flag <= {a for a in argv if a.startswith("--")}  # none left untested
