"""The conversation paradigm: multi-turn user/assistant dialogues grounded in a sampled
scenario, written N segments of K exchanges at a time, each continuing from the
conversation so far (verbatim while it fits the context budget, else a running summary)."""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar

import jsonschema
from pydantic import BaseModel, ConfigDict, Field, model_validator

from longweave.contracts import Turn
from longweave.paradigms.base import Paradigm, Part, Plan, UnitCall, UnitInput
from longweave.paradigms.conversation import checks  # noqa: F401 - registers its checks
from longweave.paradigms.conversation.logic import (
    SUMMARY_MAX_WORDS,
    chars_per_exchange,
    dpo_row,
    exchanges_to_turns,
    messages_of,
    segment_max_tokens,
    segment_prompt_context,
    segment_schema,
    stitch,
    transcript_within_budget,
    trim_to_sentence,
)

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


class ConversationParadigm(Paradigm):
    name: ClassVar[str] = "conversation"
    description: ClassVar[str] = "multi-turn user/assistant conversations from a scenario"
    params_model = ConversationParams
    plan = Plan.SEQUENTIAL
    default_complexity = 1
    export_formats = ("sft", "dpo", "openai")
    content_keys = ("messages",)

    def units(self, params: dict[str, Any]) -> int:
        return int(params["segments"])

    def unit_call(self, unit: UnitInput) -> UnitCall:
        params = unit.params
        return UnitCall(
            template="conversation/segment.j2",
            variables=segment_prompt_context(unit.sample, params, unit.index, unit.context,
                                             unit.feedback, unit.context_is_transcript),
            max_tokens=segment_max_tokens(params),
            json_schema=segment_schema(params["turns_per_segment"], chars_per_exchange(params)),
            schema_name="segment",
        )

    def parse_unit(self, reply: Any, unit: UnitInput) -> list[dict[str, str]]:
        return [t.model_dump() for t in exchanges_to_turns(reply)]

    def carry_forward(self, unit: UnitInput, output: Any, budget_tokens: int) -> str | None:
        turns = [Turn.model_validate(t) for t in output]
        return transcript_within_budget(unit.context, unit.context_is_transcript, turns,
                                        budget_tokens)

    def summary_call(self, unit: UnitInput, output: Any) -> UnitCall | None:
        return UnitCall(
            template="conversation/summary.j2",
            variables={"previous_summary": unit.context,
                       "previous_is_transcript": unit.context_is_transcript,
                       "turns": output, "max_words": SUMMARY_MAX_WORDS},
            max_tokens=SUMMARY_MAX_WORDS * 2 + 20, temperature=0.2,
        )

    def summary_from_reply(self, text: str) -> str:
        return trim_to_sentence(text)  # a summary cut at max_tokens ends mid-sentence

    def assemble(self, sample: dict[str, Any], outputs: list[Any],
                 context: str | None = None) -> dict[str, Any]:
        return {"messages": [t.model_dump() for t in stitch(sample["scenario"], outputs)]}

    def parts(self, content: dict[str, Any], params: dict[str, Any]) -> list[Part]:
        per_segment = 2 * params["turns_per_segment"]
        dialogue = [t for t in content["messages"] if t["role"] != "system"]
        return [Part(t["role"], t["content"], i // per_segment) for i, t in enumerate(dialogue)]

    def judge_call(self, sample: dict[str, Any], content: dict[str, Any]
                   ) -> tuple[str, dict[str, Any]]:
        return "conversation/judge.j2", {
            "scenario": sample["scenario"],
            "turns": [t for t in content["messages"] if t["role"] != "system"],
        }

    def export_row(self, fmt: str, record: dict[str, Any]) -> dict[str, Any]:
        if fmt == "sft":  # TRL's conversational format
            return {"messages": messages_of(record["messages"]), "id": record["sample_id"]}
        if fmt == "openai":  # OpenAI chat fine-tuning: messages and nothing else
            return {"messages": messages_of(record["messages"])}
        raise ValueError(f"paradigm conversation has no {fmt!r} rows")

    def dpo_row(self, record: dict[str, Any], rejected: dict[str, Any]) -> dict[str, Any]:
        return dpo_row(record["messages"], rejected["messages"])


conversation = ConversationParadigm()
