"""The long-context reasoning paradigm: a long context cut from the document corpus, a
question that needs facts from several places in it, and a reasoning trace that quotes the
passages it uses and ends in a final answer kept in its own slot.

- ``programmatic`` (default): facts with values are planted at controlled depths of the
  context (`longweave.reasoning`), the question combines them (sum, compare, order, count,
  a chain of references, the odd one out) and its answer key is computed by code. The
  model writes the trace; the check ``answer_matches_key`` accepts it only when its answer
  is the key (after normalisation) and the trace ends in it, else it is regenerated with
  the reason (never with the key). Each fact's depth, bucket and the spread between them
  are recorded, for lost-in-the-middle analysis.
- ``free_form``: two to four passages far apart in the context; the model asks a question
  that combines them, and answers it with a trace. The judge scores the reasoning's
  validity; ``citations_in_context`` checks that what it cites is there.

One unit per record, written from the passages the facts are in (never the whole context,
so the prompt stays short at 128k tokens). Exports: ``sft`` and ``openai`` (the trace in
``<think>…</think>`` or a ``reasoning_content`` field: `ExportOptions.trace_layout`),
``grpo`` (programmatic: the prompt and the answer key, for `longweave.rewards`) and
``dpo`` (chosen: the accepted trace; rejected: one for the same question that failed a
check, which is named)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, ClassVar

from longweave.contracts.records import Draft, Sample
from longweave.corpus.passages import locate
from longweave.llm.parsing import ReplyParseError
from longweave.paradigms.base import (
    ExportOptions,
    Paradigm,
    Part,
    Plan,
    ReportSection,
    UnitCall,
    UnitInput,
)
from longweave.paradigms.reasoning import checks  # noqa: F401 - registers its checks
from longweave.paradigms.reasoning.logic import (
    assistant_message,
    build_context,
    plan_sample,
    user_message,
)
from longweave.paradigms.reasoning.params import ReasoningParams

ANSWER_FORMAT = {
    "sum": "the number alone", "count": "the number alone",
    "compare": "the station's name alone", "odd_one_out": "the depot's name alone",
    "order": "the names in order, separated by commas", "chain": "the number alone",
}


def trace_schema(free_form: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "reasoning": {"type": "string", "minLength": 40, "maxLength": 6000},
        "citations": {"type": "array", "minItems": 1, "maxItems": 8,
                      "items": {"type": "string", "minLength": 10, "maxLength": 400}},
        "answer": {"type": "string", "minLength": 1, "maxLength": 600},
    }
    if free_form:
        properties = {"question": {"type": "string", "minLength": 15, "maxLength": 400},
                      **properties}
    return {"type": "object", "properties": properties, "required": list(properties),
            "additionalProperties": False}


class ReasoningParadigm(Paradigm[ReasoningParams]):
    name: ClassVar[str] = "reasoning"
    description: ClassVar[str] = ("long-context reasoning: a question across distant facts, a "
                                  "trace citing them, an exact or judged answer")
    params_model = ReasoningParams
    plan = Plan.INDEPENDENT
    source = "documents"
    export_formats = ("sft", "openai", "grpo", "dpo")
    content_keys = ("context", "mode", "question", "reasoning", "citations", "answer",
                    "answer_key", "kind", "facts", "spread_chars", "passages", "documents")

    def problems(self, params: ReasoningParams, documents: list[dict[str, Any]]
                 ) -> list[str]:
        low = params.context_tokens * (1 - params.context_tolerance)
        if params.mode == "programmatic" and sum(d["tokens"] for d in documents) < low:
            return [f"params.context_tokens: {params.context_tokens} tokens, but the matching "
                    f"documents have {sum(d['tokens'] for d in documents)} together"]
        if params.mode == "free_form" and not any(d["tokens"] >= low for d in documents):
            longest = max(d["tokens"] for d in documents)
            return [f"params.context_tokens: {params.context_tokens} tokens, but the longest "
                    f"matching document has {longest}"]
        if params.mode == "free_form" and \
                params.min_hop_tokens * (params.passages - 1) > params.context_tokens:
            return [f"params.min_hop_tokens: {params.passages} passages "
                    f"{params.min_hop_tokens} tokens apart do not fit in "
                    f"{params.context_tokens} tokens"]
        return []

    def plan_sample(self, params: ReasoningParams, documents: list[dict[str, Any]],
                    index: int, seed: int) -> dict[str, Any]:
        return plan_sample(params, documents, index, seed)

    def build_context(self, material: dict[str, Any], texts: dict[str, str]
                      ) -> tuple[str, dict[str, Any]]:
        return build_context(material, texts)

    def units(self, params: ReasoningParams) -> int:
        return 1

    def unit_call(self, unit: UnitInput[ReasoningParams]) -> UnitCall:
        material = unit.sample.planned_material()
        free_form = material["mode"] == "free_form"
        return UnitCall(
            template="reasoning/trace.j2",
            variables={"free_form": free_form, "question": material.get("question"),
                       "answer_format": ANSWER_FORMAT.get(material.get("kind", ""), ""),
                       "title": material["documents"][0]["title"],
                       "passages": [p["text"] for p in material["passages"]],
                       "feedback": unit.feedback, "noise": unit.sample.noise},
            max_tokens=1500, json_schema=trace_schema(free_form), schema_name="trace")

    def parse_unit(self, reply: Any, unit: UnitInput[ReasoningParams]) -> dict[str, Any]:
        material = unit.sample.planned_material()
        if not isinstance(reply, dict) or not str(reply.get("reasoning", "")).strip():
            raise ReplyParseError("the reply holds no reasoning")
        question = material.get("question") or str(reply.get("question", "")).strip()
        if not question:
            raise ReplyParseError("the reply holds no question")
        citations = [{"quote": q, **locate(q, material["passages"])}
                     for q in dict.fromkeys(str(c) for c in reply.get("citations", []))]
        return {"question": question, "reasoning": reply["reasoning"].strip(),
                "citations": citations, "answer": str(reply.get("answer", "")).strip()}

    def assemble(self, sample: Sample, outputs: list[Any],
                 context: str | None = None) -> dict[str, Any]:
        if context is None:
            raise ValueError("a reasoning record needs its sample's context")
        material = sample.planned_material()
        [trace] = outputs
        return {**trace, "context": context, "mode": material["mode"],
                "answer_key": material.get("answer_key"), "kind": material.get("kind"),
                "facts": material.get("facts", []),
                "spread_chars": material.get("spread_chars"),
                "passages": [[p["start"], p["end"]] for p in material["passages"]],
                "documents": [{k: d.get(k) for k in ("id", "title", "licence", "source")}
                              for d in material["documents"]]}

    def parts(self, content: dict[str, Any], params: ReasoningParams) -> list[Part]:
        # The context is given, not written (a "system" part: no loop or duplicate check
        # reads it); a programmatic question is code's, a free-form one the unit's.
        question_unit = None if content["answer_key"] is not None else 0
        return [Part("system", content["context"]),
                Part("user", content["question"], question_unit),
                Part("assistant", f"{content['reasoning']}\n\n{content['answer']}", 0)]

    def judge_call(self, sample: Sample, content: dict[str, Any]
                   ) -> tuple[str, dict[str, Any]]:
        context = content["context"]
        return "reasoning/judge.j2", {
            "question": content["question"], "reasoning": content["reasoning"],
            "answer": content["answer"],
            "passages": [context[s:e] for s, e in content["passages"]],
            "citations": [c["quote"] for c in content["citations"]],
            "verified": content["answer_key"] is not None}

    def export_row(self, fmt: str, record: dict[str, Any],
                   options: ExportOptions = ExportOptions()) -> dict[str, Any]:
        prompt = [user_message(record)]
        if fmt == "grpo":  # TRL GRPOTrainer: the prompt, and the answer key to score against
            if record["answer_key"] is None:
                raise ValueError(f"record {record['sample_id']} is free-form reasoning: it "
                                 "has no answer key to reward (export it as sft or dpo)")
            return {"prompt": prompt, "answer": record["answer_key"], "kind": record["kind"],
                    "depths": json.dumps([f["depth"] for f in record["facts"]]),
                    "id": record["sample_id"]}
        messages = [*prompt, assistant_message(record["reasoning"], record["answer"],
                                               options.trace_layout)]
        if fmt == "sft":
            return {"messages": messages, "id": record["sample_id"]}
        if fmt == "openai":
            return {"messages": messages}
        raise ValueError(f"paradigm reasoning has no {fmt!r} rows")

    def dpo_row(self, record: dict[str, Any], rejected: Draft,
                options: ExportOptions = ExportOptions()) -> dict[str, Any] | None:
        """Chosen: the accepted trace; rejected: a trace for the same question that failed
        a rule check (named in the row) or the judge."""
        if rejected.rejected is None:
            return None
        worse = rejected.content(self.content_keys)
        if worse["question"] != record["question"]:
            return None  # another question: no preference between the two
        failed = [c["name"] for c in (rejected.validation or {}).get("checks", [])
                  if not c.get("passed")]
        if rejected.rejected.stage != "validator":
            failed = [f"judge:{axis}" for axis in (rejected.judgment.failed_axes
                                                   if rejected.judgment else [])]
        return {"prompt": [user_message(record)],
                "chosen": [assistant_message(record["reasoning"], record["answer"],
                                             options.trace_layout)],
                "rejected": [assistant_message(worse["reasoning"], worse["answer"],
                                               options.trace_layout)],
                "failed_checks": failed}

    def card_lines(self, records: list[dict[str, Any]]) -> list[str]:
        buckets = Counter(f["bucket"] for r in records for f in r.get("facts", []))
        kinds = Counter(r["kind"] or "free_form" for r in records)
        sources = sorted({f"{d['title']} ({d.get('licence') or 'licence unknown'})"
                          for r in records for d in r.get("documents", [])})
        return [
            f"- Question kinds: {', '.join(f'{k} ({n})' for k, n in kinds.most_common()) or '-'}",
            f"- Planted facts by depth: "
            f"{', '.join(f'{b} {n}' for b, n in sorted(buckets.items())) or '-'}",
            f"- Source documents: {'; '.join(sources) or '-'}",
        ]

    def report_section(self, records: list[dict[str, Any]], drafts: list[dict[str, Any]]
                       ) -> ReportSection | None:
        from longweave.paradigms.reasoning.report import report_section

        return report_section(records)


reasoning = ReasoningParadigm()

__all__ = ["ReasoningParadigm", "ReasoningParams", "reasoning"]
