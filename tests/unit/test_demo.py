"""The demo's requests are valid requests the sampler can serve from the shipped catalog."""

from longweave.catalog import load_catalog
from longweave.client import build_request
from longweave.demo import CORPUS, demo_documents_request, demo_request
from longweave.sampler.logic import request_problems


def test_both_demo_requests_are_valid_and_samplable():
    for fields in (demo_request(3), demo_documents_request(2)):
        request = build_request(fields)
        assert request_problems(request, load_catalog()) == []
    assert sorted(p.name for p in CORPUS.glob("*.txt")) == ["jekyll_and_hyde.txt",
                                                            "time_machine.txt"]
