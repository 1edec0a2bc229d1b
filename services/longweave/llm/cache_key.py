"""The response cache's key: what makes two calls the same call.

The hash covers the whole request body — model, messages, decoding parameters (max_tokens,
temperature, seed, penalties) and the structured-output request — plus the version of the
prompt template that produced the messages. Never the endpoint's URL or API key: moving a
run to another replica of the same model keeps its cache, and no secret reaches the store.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

# Bump when the cached entry's meaning changes, to start a fresh cache.
CACHE_FORMAT = 1


def cache_key(body: Mapping[str, Any], template_version: str | None) -> str:
    canonical = json.dumps(
        {"format": CACHE_FORMAT, "request": body, "template_version": template_version},
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
