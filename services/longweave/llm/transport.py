"""The HTTP layer under the gateway: POST a JSON body, get status, headers and body back.

Two implementations with one interface:
- `NativeTransport` (default): a small HTTP/1.1 keep-alive client on asyncio streams, for
  http and https. One AsyncClient of httpx (httpcore 1.0.x) degrades sharply beyond a few
  dozen concurrent requests (encode/httpcore#1035) and spends ~10x the CPU per call; this
  client is what lets the gateway run an endpoint at its full capacity
  (`tests/bench/bench_gateway.py` measures both).
- `HttpxTransport`: httpx, sharded over several clients; for what the native client does
  not do (proxies from the environment). ``http_client="auto"`` picks it when a proxy
  applies to the endpoint's URL (`longweave.llm.transports.open_transport` picks one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class HttpReply:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes


class TransportError(Exception):
    """The request did not get a complete reply (connect, reset, protocol error)."""


class TransportTimeout(TransportError):
    """No complete reply within the attempt's timeout."""


class Transport(Protocol):
    async def post(self, path: str, body: bytes, timeout_s: float) -> HttpReply: ...

    async def aclose(self) -> None: ...
