"""Request flags of `longweave publish`, and the `scenarios` / `cancel` commands' parsing."""

import pytest

from longweave.cli import _parser, _request_fields
from longweave.client import build_request


def fields(*argv: str) -> dict:
    return _request_fields(_parser().parse_args(["publish", *argv]))


def test_repeated_filters_become_any_of_and_merge_with_the_file(tmp_path):
    request = tmp_path / "r.json"
    request.write_text('{"count": 5, "filters": {"tone": "formal"}}')
    got = fields("--file", str(request), "--filter", "geography.country=Kenya",
                 "--filter", "geography.country=Peru", "--filter", "domain=legal")
    assert got["filters"] == {"tone": "formal", "geography.country": ["Kenya", "Peru"],
                              "domain": "legal"}


def test_weights_complexity_operators_and_noise_flags():
    got = fields("--count", "4", "--weight", "domain=finance=2", "--weight",
                 "domain=legal=0.5", "--weight", "geography.country=Côte d'Ivoire=3",
                 "--complexity", "2", "--operator", "deepen", "--operator", "concretise",
                 "--noise", "3")
    assert got["weights"] == {"domain": {"finance": 2.0, "legal": 0.5},
                              "geography.country": {"Côte d'Ivoire": 3.0}}
    assert (got["complexity"], got["complexify_operators"], got["noise_transformations"]) == (
        2, ["deepen", "concretise"], 3)
    request = build_request(got)
    assert request.weights["domain"]["finance"] == 2.0


@pytest.mark.parametrize("flag", ["--weight=domain=finance", "--weight=domain=x=lots",
                                  "--filter=domain"])
def test_malformed_flags_are_refused(flag):
    with pytest.raises(SystemExit):
        fields(flag)


def test_unknown_operators_are_refused_before_publishing():
    with pytest.raises(ValueError, match="unknown 'teleport'"):
        build_request({"count": 1, "complexify_operators": ["teleport"]})


def test_cancel_and_scenario_commands_parse():
    parser = _parser()
    assert parser.parse_args(["cancel", "run-1"]).run_id == "run-1"
    assert parser.parse_args(["scenarios", "add", "mine.yaml"]).file.name == "mine.yaml"
    listing = parser.parse_args(["scenarios", "list", "--filter", "domain=legal", "--json"])
    assert listing.filter == ["domain=legal"] and listing.json
    assert parser.parse_args(["scenarios", "export", "--out", "x.yaml"]).out.name == "x.yaml"
    assert parser.parse_args(["scenarios", "load"]).file is None
