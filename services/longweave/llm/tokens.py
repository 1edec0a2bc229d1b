"""Token estimates for when an endpoint reports no usage, and for rate-limit admission
before a call. About four characters per token for English text with BPE tokenizers; the
estimate is marked as such wherever it is stored."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

CHARS_PER_TOKEN = 4.0
TOKENS_PER_MESSAGE = 4  # role markers and separators of a chat template


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0


def estimate_prompt_tokens(messages: Iterable[Mapping[str, Any]]) -> int:
    total = 0
    for message in messages:
        content = message.get("content")
        total += TOKENS_PER_MESSAGE + estimate_tokens(content if isinstance(content, str) else "")
    return total
