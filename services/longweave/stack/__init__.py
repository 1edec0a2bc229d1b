"""Local servers (Kafka, MongoDB, LLM; Prometheus on request) for a laptop or CI without
Docker."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from longweave.stack.llm_server import LocalModelNotFound, find_local_model
    from longweave.stack.local import (
        COMPONENTS,
        ComponentStatus,
        LocalStack,
        StackError,
        free_loopback_ports,
    )

# Resolved on first use, so `python -m longweave.stack.llm_server` does not import its own
# module twice (runpy warns about that) nor pull in the Kafka and MongoDB clients.
_EXPORTS = {
    "COMPONENTS": "longweave.stack.local",
    "ComponentStatus": "longweave.stack.local",
    "LocalStack": "longweave.stack.local",
    "StackError": "longweave.stack.local",
    "free_loopback_ports": "longweave.stack.local",
    "LocalModelNotFound": "longweave.stack.llm_server",
    "find_local_model": "longweave.stack.llm_server",
}

__all__ = [
    "COMPONENTS",
    "ComponentStatus",
    "LocalModelNotFound",
    "LocalStack",
    "StackError",
    "find_local_model",
    "free_loopback_ports",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
