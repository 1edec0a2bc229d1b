"""The HTTP layer under the gateway: POST a JSON body, get status, headers and body back.

Two implementations with one interface:
- `NativeTransport` (default): a small HTTP/1.1 keep-alive client on asyncio streams, for
  http and https. One AsyncClient of httpx (httpcore 1.0.x) degrades sharply beyond a few
  dozen concurrent requests (encode/httpcore#1035) and spends ~10x the CPU per call; this
  client is what lets the gateway run an endpoint at its full capacity
  (`tests/bench/bench_gateway.py` measures both).
- `HttpxTransport`: httpx, sharded over several clients; for what the native client does
  not do (proxies from the environment). ``http_client="auto"`` picks it when a proxy
  applies to the endpoint's URL.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit


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


def open_transport(base_url: str, headers: Mapping[str, str], choice: str,
                   max_connections: int) -> Transport:
    """The transport for `base_url`: "native", "httpx", or "auto" (native unless a proxy
    from the environment applies to the URL)."""
    if choice == "auto":
        choice = "httpx" if proxy_applies(base_url) else "native"
    if choice == "httpx":
        from longweave.llm.httpx_transport import HttpxTransport

        return HttpxTransport(base_url, headers, max_connections=max_connections)
    from longweave.llm.native_http import NativeTransport

    return NativeTransport(base_url, headers, max_idle=max_connections)


def proxy_applies(url: str) -> bool:
    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    if parts.scheme not in proxies and "all" not in proxies:
        return False
    return not urllib.request.proxy_bypass(parts.hostname or "")
