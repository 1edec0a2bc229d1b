"""The document-grounded paradigm: question–answer pairs that can only be answered from a
long context cut from the document corpus (``longweave documents add``), each answer with
verbatim evidence located in the context.

A record's context is a window of one document (plus distractor windows of others, when
asked) of about ``context_tokens``. Each pair is one unit, written in parallel with the
others (an independent plan) from the passages it needs and a map of the document (section
titles with their opening sentences), never from the whole context, so the prompt stays
short whatever the context's length. Its passages are spread over the beginning, middle
and end of the context (lost in the middle), and the record says where its evidence fell.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

from longweave.contracts.records import Draft, Sample
from longweave.corpus.passages import locate, position_of
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
from longweave.paradigms.document_qa import checks, operators  # noqa: F401 - registrations
from longweave.paradigms.document_qa.logic import build_context, conversation_rows, plan_sample
from longweave.paradigms.document_qa.params import ALL_TASK_TYPES, DocumentQAParams, TaskType

ANSWER_SCHEMA_MAX = 1500


def answer_schema(task_type: str) -> dict[str, Any]:
    quotes = {"type": "array", "minItems": 0 if task_type == "unanswerable" else 1,
              "maxItems": 0 if task_type == "unanswerable" else 4,
              "items": {"type": "object",
                        "properties": {"quote": {"type": "string", "minLength": 10,
                                                 "maxLength": 400}},
                        "required": ["quote"], "additionalProperties": False}}
    return {
        "type": "object",
        "properties": {
            "question": {"type": "string", "minLength": 15, "maxLength": 400},
            "answer": {"type": "string", "minLength": 2, "maxLength": ANSWER_SCHEMA_MAX},
            "evidence": quotes,
        },
        "required": ["question", "answer", "evidence"],
        "additionalProperties": False,
    }


class DocumentQAParadigm(Paradigm[DocumentQAParams]):
    name: ClassVar[str] = "document_qa"
    description: ClassVar[str] = "question-answer pairs grounded in long documents, with evidence"
    params_model = DocumentQAParams
    plan = Plan.INDEPENDENT
    source = "documents"
    export_formats = ("sft", "dpo", "openai")
    content_keys = ("context", "pairs", "documents")

    def problems(self, params: DocumentQAParams, documents: list[dict[str, Any]]
                 ) -> list[str]:
        problems = []
        two_passage = {"multi_hop", "comparison", "timeline"} & set(params.task_types)
        if two_passage and params.min_hop_tokens * 2 > params.context_tokens:
            problems.append(f"params.min_hop_tokens: {params.min_hop_tokens} tokens apart "
                            f"does not fit twice in a {params.context_tokens}-token context "
                            f"({', '.join(sorted(two_passage))} need two passages that far apart)")
        low = params.context_tokens * (1 - params.context_tolerance)
        if not any(d["tokens"] >= low for d in documents):
            longest = max(d["tokens"] for d in documents)
            problems.append(f"params.context_tokens: {params.context_tokens} tokens, but the "
                            f"longest matching document has {longest}")
        return problems

    def plan_sample(self, params: DocumentQAParams, documents: list[dict[str, Any]],
                    index: int, seed: int) -> dict[str, Any]:
        low = params.context_tokens * (1 - params.context_tolerance)
        long_enough = [d for d in documents if d["tokens"] >= low] or documents
        return plan_sample(params, long_enough, index, seed)

    def build_context(self, material: dict[str, Any], texts: dict[str, str]
                      ) -> tuple[str, dict[str, Any]]:
        return build_context(material, texts)

    def units(self, params: DocumentQAParams) -> int:
        return params.pairs

    def unit_call(self, unit: UnitInput[DocumentQAParams]) -> UnitCall:
        material = unit.sample.planned_material()
        plan = material["units"][unit.index]
        return UnitCall(
            template="document_qa/pair.j2",
            variables={"task_type": plan["task_type"], "section": plan["section"],
                       "passages": [p["text"] for p in plan["passages"]],
                       "document_map": material["map"],
                       "title": next(d["title"] for d in material["documents"]
                                     if d["role"] == "main"),
                       "noise": unit.sample.noise, "feedback": unit.feedback,
                       "layers": unit.sample.layers},
            max_tokens=900, json_schema=answer_schema(plan["task_type"]), schema_name="pair",
        )

    def parse_unit(self, reply: Any, unit: UnitInput[DocumentQAParams]) -> dict[str, Any]:
        plan = unit.sample.planned_material()["units"][unit.index]
        if not isinstance(reply, dict) or not str(reply.get("question", "")).strip():
            raise ReplyParseError("the reply holds no question")
        evidence = [{"quote": e["quote"], **locate(e["quote"], plan["passages"])}
                    for e in reply.get("evidence", [])]
        return {"task_type": plan["task_type"], "position": plan["position"],
                "question": reply["question"].strip(), "answer": reply["answer"].strip(),
                "unanswerable": plan["task_type"] == "unanswerable", "evidence": evidence,
                "passages": [[p["start"], p["end"]] for p in plan["passages"]]}

    def assemble(self, sample: Sample, outputs: list[Any],
                 context: str | None = None) -> dict[str, Any]:
        if context is None:
            raise ValueError("a document_qa record needs its sample's context")
        pairs = []
        for pair in outputs:
            positions = [position_of(e["start"], len(context)) for e in pair["evidence"]
                         if e["start"] is not None]
            pairs.append({**pair, "evidence_positions": positions})
        documents = [{k: d.get(k) for k in ("id", "title", "role", "licence", "source")}
                     for d in sample.planned_material()["documents"]]
        return {"context": context, "pairs": pairs, "documents": documents}

    def parts(self, content: dict[str, Any], params: DocumentQAParams) -> list[Part]:
        out = []
        for n, pair in enumerate(content["pairs"]):
            out += [Part("user", pair["question"], n), Part("assistant", pair["answer"], n)]
        return out

    def judge_call(self, sample: Sample, content: dict[str, Any]
                   ) -> tuple[str, dict[str, Any]]:
        context = content["context"]
        pairs = [{**p, "passages": [context[s:e] for s, e in p["passages"]]}
                 for p in content["pairs"]]
        return "document_qa/judge.j2", {"pairs": pairs}

    def export_row(self, fmt: str, record: dict[str, Any],
                   options: ExportOptions = ExportOptions()) -> dict[str, Any]:
        in_system = bool(record["spec"]["params"].get("context_in_system"))
        messages = conversation_rows(record, in_system)
        return {"messages": messages, "id": record["sample_id"]} if fmt == "sft" \
            else {"messages": messages}

    def dpo_row(self, record: dict[str, Any], rejected: Draft,
                options: ExportOptions = ExportOptions()) -> dict[str, Any] | None:
        """Chosen: the accepted pairs; rejected: a draft the judge rejected for its
        faithfulness (other rejections are no preference about grounding)."""
        if rejected.judgment is None or "faithfulness" not in rejected.judgment.failed_axes:
            return None
        worse_pairs = rejected.content(self.content_keys)["pairs"]
        if [p["question"] for p in worse_pairs] != [p["question"] for p in record["pairs"]]:
            return None  # other questions: the two answer sets are no preference pair
        in_system = bool(record["spec"]["params"].get("context_in_system"))
        chosen = conversation_rows(record, in_system)
        worse = conversation_rows({"pairs": worse_pairs, "context": record["context"]},
                                  in_system)
        prompt = chosen[: 2 if in_system else 1]
        return {"prompt": prompt, "chosen": chosen[len(prompt):],
                "rejected": worse[len(prompt):]}

    def card_lines(self, records: list[dict[str, Any]]) -> list[str]:
        positions = Counter(p for r in records for pair in r["pairs"]
                            for p in pair.get("evidence_positions", []))
        tasks = Counter(pair["task_type"] for r in records for pair in r["pairs"])
        sources = sorted({f"{d['title']} ({d.get('source') or 'no source'}; "
                          f"{d.get('licence') or 'licence unknown'})"
                          for r in records for d in r.get("documents", [])})
        return [
            f"- Evidence positions in the context: "
            f"{', '.join(f'{k} {positions.get(k, 0)}' for k in ('beginning', 'middle', 'end'))}",
            f"- Task types: {', '.join(f'{t} ({n})' for t, n in tasks.most_common()) or '-'}",
            f"- Source documents: {'; '.join(sources) or '-'}",
        ]

    def report_section(self, records: list[dict[str, Any]], drafts: list[dict[str, Any]]
                       ) -> ReportSection | None:
        from longweave.paradigms.document_qa.report import report_section

        return report_section(records)


document_qa = DocumentQAParadigm()

__all__ = ["ALL_TASK_TYPES", "DocumentQAParadigm", "DocumentQAParams", "TaskType",
           "document_qa"]
