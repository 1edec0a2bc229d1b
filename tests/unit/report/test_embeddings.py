"""Which embedder the report uses and why (settings), the lexical one, and the endpoint
client's requests (against a mock transport: the real servers are in
tests/integration/test_report.py)."""

import json

import httpx
import pytest
from pydantic import SecretStr

from longweave.report.embeddings import (
    EmbedderInfo,
    EmbeddingError,
    EmbeddingsOff,
    EndpointEmbedder,
    LexicalEmbedder,
    open_embedder,
    resolve_backend,
)
from longweave.settings import Settings


def test_auto_picks_the_endpoint_when_a_url_is_set_else_the_local_model():
    assert resolve_backend(Settings(embeddings_url="http://e/v1"))[0] == "endpoint"
    backend, why = resolve_backend(Settings(embeddings_backend="auto", embeddings_url=None))
    assert backend == "local"  # the test extra installs xllamacpp and the model
    assert "LONGWEAVE_EMBEDDINGS_URL" in why
    assert resolve_backend(Settings(embeddings_backend="lexical")) == \
        ("lexical", "LONGWEAVE_EMBEDDINGS_BACKEND is lexical.")


async def test_turned_off_or_half_configured_embeddings_say_why():
    with pytest.raises(EmbeddingsOff) as off:
        async with open_embedder(Settings(embeddings_backend="none")):
            pass
    assert off.value.info.unavailable == "turned off (LONGWEAVE_EMBEDDINGS_BACKEND=none)"
    with pytest.raises(EmbeddingsOff) as off:
        async with open_embedder(Settings(embeddings_backend="endpoint",
                                          embeddings_url="http://e/v1")):
            pass
    assert "LONGWEAVE_EMBEDDINGS_MODEL" in off.value.info.unavailable


async def test_the_lexical_embedder_needs_no_model():
    async with open_embedder(Settings(embeddings_backend="lexical")) as embedder:
        assert isinstance(embedder, LexicalEmbedder)
        vectors = await embedder.embed(["a b c", "a b c", "x y z"])
    assert len(vectors) == 3 and vectors[0] == vectors[1]
    assert embedder.info.texts == 3 and embedder.info.name == "hashed TF-IDF (lexical)"


async def test_the_endpoint_is_asked_in_batches_with_the_key_as_a_bearer_token():
    asked = []

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        asked.append((request.url.path, request.headers.get("authorization"), body))
        data = [{"index": i, "embedding": [float(len(t)), 1.0]}
                for i, t in reversed(list(enumerate(body["input"])))]
        return httpx.Response(200, json={"data": data, "usage": {"prompt_tokens": 3}})

    async with open_embedder(Settings(embeddings_url="http://e/v1", embeddings_model="m",
                                      embeddings_api_key=SecretStr("sk-secret"))) as embedder:
        assert isinstance(embedder, EndpointEmbedder)
    client = EndpointEmbedder("http://e/v1/", "m", embedder.info, "sk-secret",
                              transport=httpx.MockTransport(answer))
    texts = [f"text {'x' * i}" for i in range(20)]
    vectors = await client.embed(texts)
    assert [v[0] for v in vectors] == [float(len(t)) for t in texts]  # back in order
    assert [(path, auth, len(body["input"])) for path, auth, body in asked] == \
        [("/v1/embeddings", "Bearer sk-secret", 16), ("/v1/embeddings", "Bearer sk-secret", 4)]
    info = client.info.to_json()
    assert (info["texts"], info["tokens"], info["model"]) == (20, 6, "m")
    assert "sk-secret" not in json.dumps(info)


async def test_an_endpoint_error_is_an_embedding_error_with_the_status():
    client = EndpointEmbedder("http://e/v1", "m", EmbedderInfo("endpoint", "e", "why"),
                              transport=httpx.MockTransport(
                                  lambda r: httpx.Response(404, text="no such model")))
    with pytest.raises(EmbeddingError, match="404: no such model"):
        await client.embed(["a"])
