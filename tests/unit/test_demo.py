"""The demo's requests are valid requests the sampler can serve from the shipped catalog
(and, for the claims demo, from its book)."""

from longweave.catalog import load_catalog
from longweave.client import build_request
from longweave.demo import CORPUS, demo_claims_request, demo_documents_request, demo_request
from longweave.sampler.logic import request_problems


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
