"""The one way services talk to models: an async client for OpenAI-compatible endpoints."""

from longweave.llm.client import Completion, LLMClient, LLMError
from longweave.llm.parsing import ReplyParseError, extract_json

__all__ = ["Completion", "LLMClient", "LLMError", "ReplyParseError", "extract_json"]
