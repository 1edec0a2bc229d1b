"""The conversation paradigm's request parameters (``params`` of a request)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import jsonschema
from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_SCHEMA_BYTES = 64_000  # requests travel in one Kafka message


class ConversationParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    segments: int = Field(2, ge=1, le=64, description="N: segments stitched into one record")
    turns_per_segment: int = Field(2, ge=1, le=32,
                                   description="K: user/assistant exchanges per segment")
    target_tokens: int = Field(600, ge=50, le=1_000_000, description="target record length")
    length_tolerance: float = Field(
        0.5, gt=0, le=10, description="accepted window: target × (1 ± tolerance)"
    )
    assistant_json_schema: dict[str, Any] | None = Field(
        None, description="every assistant turn must be JSON valid against this schema"
    )
    required_fields: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=64,
        description="fields every assistant JSON reply must fill (non-empty)",
    )

    @model_validator(mode="after")
    def _schema_is_small_and_valid(self) -> ConversationParams:
        if self.assistant_json_schema is not None:
            if len(json.dumps(self.assistant_json_schema)) > MAX_SCHEMA_BYTES:
                raise ValueError(f"assistant_json_schema is over {MAX_SCHEMA_BYTES} bytes")
            try:
                jsonschema.Draft202012Validator.check_schema(self.assistant_json_schema)
            except jsonschema.SchemaError as exc:
                raise ValueError(f"assistant_json_schema is not a JSON Schema: {exc.message}"
                                 ) from exc
        return self
