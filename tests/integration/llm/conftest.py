"""The gateway against real HTTP servers: the scripted test server (in this event loop)
and, for the store-backed parts, the session's MongoDB."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from longweave.llm import LLMClient
from longweave.observability import ServiceMetrics
from longweave.settings import LLMEndpoint
from longweave.store import Store
from longweave.testing.scripted_llm_server import ScriptedLLMServer
from support.gateway import RecordingSleep


@pytest.fixture
async def scripted() -> AsyncIterator[ScriptedLLMServer]:
    async with ScriptedLLMServer() as server:
        yield server


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[..., LLMClient]]:
    clients: list[LLMClient] = []

    def make(server: ScriptedLLMServer, *, metrics: ServiceMetrics | None = None,
             store: Store | None = None, role: str = "generator", **endpoint: Any) -> LLMClient:
        options = {"sleep": endpoint.pop("sleep", RecordingSleep())}
        for name in ("clock", "prices", "cache_enabled"):
            if name in endpoint:
                options[name] = endpoint.pop(name)
        client = LLMClient(
            LLMEndpoint(role=role, base_url=endpoint.pop("base_url", server.base_url),
                        model=endpoint.pop("model", "test-model"), **endpoint),
            metrics, store=store, rng=random.Random(0), **options,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()



