"""Generate ``contracts/``: one JSON Schema per message, one per registered paradigm's
request ``params``, and the mesh's AsyncAPI document.

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
from longweave.contracts.records import STORED_TYPES


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def message_schemas() -> dict[str, str]:
    """File name → JSON Schema text, for every message type."""
    files = {}
    for model in (*MESSAGE_TYPES, *STORED_TYPES):
        schema = model.model_json_schema()
        schema["$id"] = f"https://longweave.dev/contracts/{_snake(model.__name__)}.v{SCHEMA_VERSION}.json"
        files[f"schemas/{_snake(model.__name__)}.v{SCHEMA_VERSION}.json"] = _dump(schema)
    return files


def paradigm_params_schemas() -> dict[str, str]:
    """File name → JSON Schema of each registered paradigm's ``params``."""
    from longweave.paradigms import PARADIGMS

    files = {}
    for name, paradigm in sorted(PARADIGMS.items()):
        schema = paradigm.params_model.model_json_schema()
        schema["$id"] = f"https://longweave.dev/contracts/paradigms/{name}.params.json"
        schema["description"] = (f"ScenarioRequest.params when paradigm is {name!r}: "
                                 f"{paradigm.description}")
        files[f"paradigms/{name}.params.json"] = _dump(schema)
    return files


GENERATED_FOLDERS = ("schemas", "paradigms")


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
    return {**message_schemas(), **paradigm_params_schemas(),
            "asyncapi.json": asyncapi_document()}


def _leftovers(root: Path, expected: dict[str, str]) -> list[str]:
    """Generated files no model produces any more (an older schema version, say)."""
    return sorted(str(p.relative_to(root)) for folder in GENERATED_FOLDERS
                  for p in (root / folder).glob("*.json")
                  if str(p.relative_to(root)) not in expected)


def write_contracts(root: Path) -> list[Path]:
    written = []
    expected = expected_files()
    for name in _leftovers(root, expected):
        (root / name).unlink()
    for name, text in expected.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def stale_files(root: Path) -> list[str]:
    """Files to write, to rewrite or to remove."""
    expected = expected_files()
    stale = []
    for name, text in expected.items():
        path = root / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    return stale + _leftovers(root, expected)
