"""The one way services talk to models: the LLM gateway (see README.md beside this file)."""

from longweave.llm.client import Completion, LLMClient
from longweave.llm.errors import DeadlineExceeded, LLMError, RunStopped
from longweave.llm.parsing import ReplyParseError, extract_json
from longweave.llm.scope import CallScope

__all__ = [
    "CallScope",
    "Completion",
    "DeadlineExceeded",
    "LLMClient",
    "LLMError",
    "ReplyParseError",
    "RunStopped",
    "extract_json",
]
