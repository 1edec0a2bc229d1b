"""Turning a model's reply into JSON: tolerant of code fences and leading prose, strict
about the result (schema-validated), and never accepting a reply cut off at max_tokens."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

import jsonschema

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)


class ReplyParseError(ValueError):
    """The reply is not the JSON we asked for; the message says why, for feedback."""


def extract_json(text: str) -> Any:
    """Parse JSON from a reply: as is, else inside a code fence, else the outermost
    object/array found after leading prose."""
    candidates = [text.strip()]
    candidates += [m.strip() for m in _FENCE.findall(text)]
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    if start >= 0:
        end = max(text.rfind("}"), text.rfind("]"))
        if end > start:
            candidates.append(text[start : end + 1])
    error: json.JSONDecodeError | None = None
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError as exc:
            error = exc
    raise ReplyParseError(f"reply is not valid JSON ({error})" if error else "reply is empty")


def parse_structured(text: str, finish_reason: str, schema: dict[str, Any]) -> Any:
    if finish_reason == "length":
        raise ReplyParseError("reply was truncated at max_tokens (finish_reason=length)")
    value = extract_json(text)
    error = jsonschema.exceptions.best_match(_validator(json.dumps(schema, sort_keys=True))
                                             .iter_errors(value))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "<root>"
        raise ReplyParseError(f"reply does not match the schema at {where}: {error.message}")
    return value


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Any:
    # Building a validator (and checking the schema) costs far more than validating.
    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)
