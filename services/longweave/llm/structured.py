"""How structured output is requested, per endpoint capability.

- ``json_schema``: ``response_format`` carries the JSON Schema; the server constrains
  decoding (vLLM, SGLang, llama.cpp's server, OpenAI, Together).
- ``json_object``: JSON mode only (``{"type": "json_object"}``, e.g. Ollama's format=json
  through its OpenAI layer); the schema goes into the prompt.
- ``none``: plain chat; the schema goes into the prompt.

Whatever the mode, the reply is repaired (code fences, leading prose) and validated against
the schema; a reply that fails is asked for once more, carrying the error.
"""

from __future__ import annotations

import json
from typing import Any, Literal

StructuredMode = Literal["json_schema", "json_object", "none"]

SCHEMA_INSTRUCTION = (
    "Reply with only a JSON value — no prose, no code fences — that conforms to this "
    "JSON Schema:\n{schema}"
)
REASK_INSTRUCTION = (
    "That reply was invalid: {error}. Reply again with only the corrected JSON."
)


def with_structured_output(
    body: dict[str, Any], schema: dict[str, Any], name: str, mode: StructuredMode
) -> dict[str, Any]:
    """The request body asking for JSON matching `schema` the way the endpoint supports."""
    if mode == "json_schema":
        return {**body, "response_format": {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": schema, "strict": True},
        }}
    # Appended to the last user message: several chat templates reject a system message
    # anywhere but first. JSON mode also requires the word "JSON" in the prompt.
    instruction = SCHEMA_INSTRUCTION.format(schema=json.dumps(schema, ensure_ascii=False))
    messages = [dict(m) for m in body["messages"]]
    last_user = next((m for m in reversed(messages) if m.get("role") == "user"), None)
    if last_user is None:
        messages.append({"role": "user", "content": instruction})
    else:
        last_user["content"] = f"{last_user.get('content') or ''}\n\n{instruction}"
    prompted = {**body, "messages": messages}
    if mode == "json_object":
        prompted["response_format"] = {"type": "json_object"}
    return prompted


def reask_body(body: dict[str, Any], reply_text: str, error: str) -> dict[str, Any]:
    """The one re-ask: the conversation so far, the invalid reply and what was wrong."""
    return {**body, "messages": [
        *body["messages"],
        {"role": "assistant", "content": reply_text},
        {"role": "user", "content": REASK_INSTRUCTION.format(error=error)},
    ]}
