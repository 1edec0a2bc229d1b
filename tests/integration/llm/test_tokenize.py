"""Token counts from an endpoint's /tokenize route, over HTTP against the scripted test
server (one token per word); an endpoint without the route falls back to estimates."""

import pytest

from longweave.llm.tokenize import EndpointTokenizer
from longweave.settings import LLMEndpoint

pytestmark = pytest.mark.integration


async def test_counts_come_from_the_endpoint(scripted):
    tokenizer = EndpointTokenizer(LLMEndpoint(role="generator", base_url=scripted.base_url,
                                              model="m"))
    try:
        assert await tokenizer.count("one two  three\nfour") == 4
        assert tokenizer.supported is True
    finally:
        await tokenizer.aclose()


async def test_an_endpoint_without_the_route_gives_none_and_is_not_asked_again(scripted):
    # The server answers 404 under another prefix: no tokenizer there.
    tokenizer = EndpointTokenizer(LLMEndpoint(role="generator", model="m",
                                              base_url=f"{scripted.url}/elsewhere/v1"))
    try:
        assert await tokenizer.count("one two") is None
        assert tokenizer.supported is False
        requests = scripted.stats()["routes"]
        assert await tokenizer.count("three") is None
        assert scripted.stats()["routes"] == requests  # not asked again
    finally:
        await tokenizer.aclose()
