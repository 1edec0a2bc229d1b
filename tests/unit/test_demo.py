"""The demo's requests are valid requests the sampler can serve from the shipped catalog
(and, for the claims demo, from its book); its summary says plainly when few records were
accepted."""

from longweave.catalog import load_catalog
from longweave.client import build_request
from longweave.demo import (
    CORPUS,
    demo_claims_request,
    demo_documents_request,
    demo_request,
    print_summary,
)
from longweave.sampler.logic import request_problems
from longweave.settings import Settings


def test_the_demo_requests_are_valid_and_samplable():
    for fields in (demo_request(3), demo_documents_request(2), demo_claims_request("doc-1")):
        request = build_request(fields)
        assert request_problems(request, load_catalog()) == []
    assert sorted(p.name for p in CORPUS.glob("*.txt")) == ["jekyll_and_hyde.txt",
                                                            "time_machine.txt"]


def test_the_claims_demo_reads_two_chapters_of_one_book():
    from support.claims import BOOK, claims

    request = build_request(demo_claims_request(BOOK["_id"]))
    params = claims.parse_params(request.params)
    assert claims.problems(params, [BOOK]) == []
    material = claims.plan_sample(params, [BOOK], 0, 7)
    assert [c["number"] for c in material["chapters"]] == [3, 4]


def summary(capsys, accepted: int, requested: int = 3) -> str:
    status = {"run_id": "run-x", "status": "complete", "requested": requested,
              "regenerated": 2, "usage": {"prompt_tokens": 10, "completion_tokens": 5,
                                          "calls": 4},
              "stages": {"accepted": accepted, "dead_lettered": requested - accepted}}
    print_summary(Settings(), status, accepted, CORPUS / "out.jsonl", 12.0)
    return capsys.readouterr().out


def test_the_summary_says_plainly_when_fewer_than_half_were_accepted(capsys):
    few = summary(capsys, accepted=1)
    assert "accepted       1" in few and "dead-lettered  2" in few
    assert "fewer than half were accepted" in few
    assert "fewer than half" not in summary(capsys, accepted=2)
