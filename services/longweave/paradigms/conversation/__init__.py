"""The conversation paradigm: multi-turn user/assistant dialogues grounded in a sampled
scenario, written N segments of K exchanges at a time, each continuing from the
conversation so far (verbatim while it fits the context budget, else a running summary)."""

from __future__ import annotations

from typing import Any, ClassVar

from longweave.contracts import Turn
from longweave.contracts.records import Draft, Sample
from longweave.paradigms.base import (
    ExportOptions,
    Paradigm,
    Part,
    Plan,
    ReportSection,
    UnitCall,
    UnitInput,
)
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
from longweave.paradigms.conversation.params import ConversationParams


class ConversationParadigm(Paradigm[ConversationParams]):
    name: ClassVar[str] = "conversation"
    description: ClassVar[str] = "multi-turn user/assistant conversations from a scenario"
    params_model = ConversationParams
    plan = Plan.SEQUENTIAL
    default_complexity = 1
    export_formats = ("sft", "dpo", "openai")
    content_keys = ("messages",)

    def units(self, params: ConversationParams) -> int:
        return params.segments

    def unit_call(self, unit: UnitInput[ConversationParams]) -> UnitCall:
        params = unit.params
        return UnitCall(
            template="conversation/segment.j2",
            variables=segment_prompt_context(unit.sample, params, unit.index, unit.context,
                                             unit.feedback, unit.context_is_transcript),
            max_tokens=segment_max_tokens(params),
            json_schema=segment_schema(params.turns_per_segment, chars_per_exchange(params)),
            schema_name="segment",
        )

    def parse_unit(self, reply: Any, unit: UnitInput[ConversationParams]
                   ) -> list[dict[str, str]]:
        return [t.model_dump() for t in exchanges_to_turns(reply)]

    def carry_forward(self, unit: UnitInput[ConversationParams], output: Any,
                      budget_tokens: int) -> str | None:
        turns = [Turn.model_validate(t) for t in output]
        return transcript_within_budget(unit.context, unit.context_is_transcript, turns,
                                        budget_tokens)

    def summary_call(self, unit: UnitInput[ConversationParams], output: Any
                     ) -> UnitCall | None:
        return UnitCall(
            template="conversation/summary.j2",
            variables={"previous_summary": unit.context,
                       "previous_is_transcript": unit.context_is_transcript,
                       "turns": output, "max_words": SUMMARY_MAX_WORDS},
            max_tokens=SUMMARY_MAX_WORDS * 2 + 20, temperature=0.2,
        )

    def summary_from_reply(self, text: str) -> str:
        return trim_to_sentence(text)  # a summary cut at max_tokens ends mid-sentence

    def assemble(self, sample: Sample, outputs: list[Any],
                 context: str | None = None) -> dict[str, Any]:
        return {"messages": [t.model_dump() for t in stitch(sample.scenario, outputs)]}

    def parts(self, content: dict[str, Any], params: ConversationParams) -> list[Part]:
        per_segment = 2 * params.turns_per_segment
        dialogue = [t for t in content["messages"] if t["role"] != "system"]
        return [Part(t["role"], t["content"], i // per_segment) for i, t in enumerate(dialogue)]

    def judge_call(self, sample: Sample, content: dict[str, Any]
                   ) -> tuple[str, dict[str, Any]]:
        return "conversation/judge.j2", {
            "scenario": sample.prompt_scenario(),
            "turns": [t for t in content["messages"] if t["role"] != "system"],
        }

    def export_row(self, fmt: str, record: dict[str, Any],
                   options: ExportOptions = ExportOptions()) -> dict[str, Any]:
        if fmt == "sft":  # TRL's conversational format
            return {"messages": messages_of(record["messages"]), "id": record["sample_id"]}
        if fmt == "openai":  # OpenAI chat fine-tuning: messages and nothing else
            return {"messages": messages_of(record["messages"])}
        raise ValueError(f"paradigm conversation has no {fmt!r} rows")

    def dpo_row(self, record: dict[str, Any], rejected: Draft,
                options: ExportOptions = ExportOptions()) -> dict[str, Any] | None:
        if rejected.judgment is None or rejected.judgment.passed:
            return None  # the judge's rejections only: a broken structure is no preference
        return dpo_row(record["messages"], rejected.content(self.content_keys)["messages"])

    def report_section(self, records: list[dict[str, Any]], drafts: list[dict[str, Any]]
                       ) -> ReportSection | None:
        from longweave.paradigms.conversation.report import report_section

        return report_section(records)


conversation = ConversationParadigm()

__all__ = ["ConversationParadigm", "ConversationParams", "conversation"]
