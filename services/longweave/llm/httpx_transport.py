"""The httpx transport: requests spread round-robin over several AsyncClients, each with a
small pool — one client's pool degrades badly past a few dozen concurrent requests
(encode/httpcore#1035). Used for what the native client lacks, e.g. proxies (trust_env)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping

import httpx

from longweave.llm.transport import HttpReply, TransportError, TransportTimeout

CONNECTIONS_PER_CLIENT = 16


class HttpxTransport:
    def __init__(self, base_url: str, headers: Mapping[str, str], *,
                 max_connections: int = 64) -> None:
        shards = max(1, math.ceil(max_connections / CONNECTIONS_PER_CLIENT))
        per_client = math.ceil(max_connections / shards)
        self._clients = [
            httpx.AsyncClient(
                base_url=base_url.rstrip("/"),
                headers={"Content-Type": "application/json", **headers},
                limits=httpx.Limits(max_connections=per_client,
                                    max_keepalive_connections=per_client),
                trust_env=True,
            )
            for _ in range(shards)
        ]
        self._next = itertools.cycle(self._clients)

    async def post(self, path: str, body: bytes, timeout_s: float) -> HttpReply:
        client = next(self._next)
        try:
            response = await client.post(
                path, content=body, timeout=httpx.Timeout(timeout_s, connect=min(10.0, timeout_s)))
        except httpx.TimeoutException as exc:
            raise TransportTimeout(f"no reply within {timeout_s:g}s") from exc
        except httpx.HTTPError as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        return HttpReply(response.status_code,
                         {k.lower(): v for k, v in response.headers.items()}, response.content)

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()
