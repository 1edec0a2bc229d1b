"""Which transport (transport.py) a gateway opens for an endpoint."""

from __future__ import annotations

import urllib.request
from collections.abc import Mapping
from urllib.parse import urlsplit

from longweave.llm.transport import Transport


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
