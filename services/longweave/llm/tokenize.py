"""Token counts from the target model's own tokenizer, where the endpoint offers one.

llama.cpp's server (and SGLang, vLLM with its /tokenize route) answer
``POST /tokenize {"content": ...}`` with ``{"tokens": [...]}``. Endpoints without it
(OpenAI, most hosted APIs) answer 404; then callers fall back to a documented estimate.
"""

from __future__ import annotations

import json
import logging

from longweave.llm.transport import TransportError
from longweave.llm.transports import open_transport
from longweave.settings import LLMEndpoint

log = logging.getLogger(__name__)


class EndpointTokenizer:
    """Through the gateway's HTTP transport (the native client unless a proxy applies):
    httpx spent ~10× the CPU per call, a tenth of the validator's work per record."""

    def __init__(self, endpoint: LLMEndpoint, timeout_s: float = 30.0) -> None:
        root = endpoint.base_url.rstrip("/").removesuffix("/v1")
        headers = {}
        if endpoint.api_key is not None:
            headers["Authorization"] = f"Bearer {endpoint.api_key.get_secret_value()}"
        self._http = open_transport(root, headers, endpoint.http_client, max_connections=8)
        self._timeout_s = timeout_s
        self.supported: bool | None = None  # unknown until the first call

    async def count(self, text: str) -> int | None:
        """The token count, or None when the endpoint has no tokenizer route."""
        if self.supported is False:
            return None
        try:
            reply = await self._http.post("/tokenize", json.dumps({"content": text}).encode(),
                                          self._timeout_s)
        except TransportError as exc:
            log.warning("tokenize failed (%s); using the estimate for now", exc)
            return None
        if reply.status in (404, 405, 501):
            self.supported = False
            log.info("endpoint has no /tokenize route; token counts are estimates")
            return None
        if reply.status != 200:
            return None
        try:
            tokens = json.loads(reply.body).get("tokens")
        except (ValueError, AttributeError):
            tokens = None
        self.supported = isinstance(tokens, list)
        return len(tokens) if self.supported else None

    async def aclose(self) -> None:
        await self._http.aclose()
