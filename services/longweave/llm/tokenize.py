"""Token counts from the target model's own tokenizer, where the endpoint offers one.

llama.cpp's server (and SGLang, vLLM with its /tokenize route) answer
``POST /tokenize {"content": ...}`` with ``{"tokens": [...]}``. Endpoints without it
(OpenAI, most hosted APIs) answer 404; then callers fall back to a documented estimate.
"""

from __future__ import annotations

import logging

import httpx

from longweave.settings import LLMEndpoint

log = logging.getLogger(__name__)


class EndpointTokenizer:
    def __init__(self, endpoint: LLMEndpoint, timeout_s: float = 30.0) -> None:
        root = endpoint.base_url.rstrip("/").removesuffix("/v1")
        headers = {}
        if endpoint.api_key is not None:
            headers["Authorization"] = f"Bearer {endpoint.api_key.get_secret_value()}"
        self._http = httpx.AsyncClient(base_url=root, headers=headers, timeout=timeout_s)
        self.supported: bool | None = None  # unknown until the first call

    async def count(self, text: str) -> int | None:
        """The token count, or None when the endpoint has no tokenizer route."""
        if self.supported is False:
            return None
        try:
            response = await self._http.post("/tokenize", json={"content": text})
        except httpx.HTTPError as exc:
            log.warning("tokenize failed (%s); using the estimate for now", exc)
            return None
        if response.status_code in (404, 405, 501):
            self.supported = False
            log.info("endpoint has no /tokenize route; token counts are estimates")
            return None
        if response.status_code != 200:
            return None
        tokens = response.json().get("tokens")
        self.supported = isinstance(tokens, list)
        return len(tokens) if self.supported else None

    async def aclose(self) -> None:
        await self._http.aclose()
