"""Generate ``contracts/``: one JSON Schema per message and the mesh's AsyncAPI document.

Both are derived from the pydantic models and the services' routers, so they cannot drift
from the code; ``longweave contracts --check`` (and a test) fail when the files are stale.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from longweave import __version__
from longweave.contracts.messages import MESSAGE_TYPES, SCHEMA_VERSION


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def message_schemas() -> dict[str, str]:
    """File name → JSON Schema text, for every message type."""
    files = {}
    for model in MESSAGE_TYPES:
        schema = model.model_json_schema()
        schema["$id"] = f"https://longweave.dev/contracts/{_snake(model.__name__)}.v{SCHEMA_VERSION}.json"
        files[f"schemas/{_snake(model.__name__)}.v{SCHEMA_VERSION}.json"] = _dump(schema)
    return files


def asyncapi_document() -> str:
    """The AsyncAPI 3 document of all six services on one broker (no connection made)."""
    from faststream.specification import AsyncAPI

    from longweave.mesh import build_broker, build_contexts
    from longweave.settings import SERVICE_NAMES, Settings
    from longweave.store import Store

    settings = Settings(kafka_bootstrap="kafka:9092", topic_prefix="longweave")
    store = Store("mongodb://unused:27017", "unused")  # lazy: never connects here
    broker = build_broker(settings, build_contexts(settings, list(SERVICE_NAMES), store))
    spec = AsyncAPI(
        broker,
        title="longweave",
        version=__version__,
        description="Topics and messages of the longweave synthetic-data mesh.",
    ).to_specification()
    store.close()
    return _dump(spec.to_jsonable())


def expected_files() -> dict[str, str]:
    return {**message_schemas(), "asyncapi.json": asyncapi_document()}


def write_contracts(root: Path) -> list[Path]:
    written = []
    for name, text in expected_files().items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def stale_files(root: Path) -> list[str]:
    stale = []
    for name, text in expected_files().items():
        path = root / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    return stale
