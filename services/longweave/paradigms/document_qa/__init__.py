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
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from longweave.llm.parsing import ReplyParseError
from longweave.paradigms.base import Paradigm, Part, Plan, UnitCall, UnitInput
from longweave.paradigms.document_qa import checks, operators  # noqa: F401 - registrations
from longweave.paradigms.document_qa.logic import (
    build_context,
    conversation_rows,
    locate,
    plan_sample,
    position_of,
)

TaskType = Literal["extraction", "multi_hop", "section_summary", "comparison", "timeline",
                   "unanswerable"]
ALL_TASK_TYPES: list[TaskType] = ["extraction", "multi_hop", "section_summary", "comparison",
                                  "timeline", "unanswerable"]
DocumentId = str


class DocumentQAParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    collection: str | None = Field(None, description="draw documents from this collection")
    tags: list[str] = Field(default_factory=list, description="documents with all these tags")
    document_ids: list[DocumentId] = Field(default_factory=list, max_length=1000,
                                           description="only these documents")
    context_tokens: int = Field(8000, ge=500, le=1_000_000,
                                description="the context's length (8k-128k for real models)")
    context_tolerance: float = Field(0.2, gt=0, le=1,
                                     description="accepted: context_tokens × (1 ± tolerance)")
    pairs: int = Field(4, ge=1, le=32, description="question-answer pairs per record")
    task_types: list[TaskType] = Field(default_factory=lambda: list(ALL_TASK_TYPES),
                                       min_length=1)
    distractors: int = Field(0, ge=0, le=8, description="other documents mixed into the context")
    min_hop_tokens: int = Field(500, ge=0, description="multi-hop passages at least this far apart")
    context_in_system: bool = Field(False, description="sft/openai: the context in the system "
                                                       "message instead of the first user turn")

    @model_validator(mode="after")
    def _unique_task_types(self) -> DocumentQAParams:
        self.task_types = list(dict.fromkeys(self.task_types))
        return self


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


class DocumentQAParadigm(Paradigm):
    name: ClassVar[str] = "document_qa"
    description: ClassVar[str] = "question-answer pairs grounded in long documents, with evidence"
    params_model = DocumentQAParams
    plan = Plan.INDEPENDENT
    source = "documents"
    export_formats = ("sft", "dpo", "openai")
    content_keys = ("context", "pairs", "documents")

    def document_filter(self, params: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if params.get("collection"):
            found["collection"] = params["collection"]
        if params.get("tags"):
            found["tags"] = {"$all": params["tags"]}
        if params.get("document_ids"):
            found["_id"] = {"$in": params["document_ids"]}
        return found

    def problems(self, params: dict[str, Any], documents: list[dict[str, Any]]) -> list[str]:
        if not documents:
            return [f"params: no document in the corpus matches {self.document_filter(params)} "
                    "(add some with `longweave documents add`)"]
        problems = []
        two_passage = {"multi_hop", "comparison", "timeline"} & set(params["task_types"])
        if two_passage and params["min_hop_tokens"] * 2 > params["context_tokens"]:
            problems.append(f"params.min_hop_tokens: {params['min_hop_tokens']} tokens apart "
                            f"does not fit twice in a {params['context_tokens']}-token context "
                            f"({', '.join(sorted(two_passage))} need two passages that far apart)")
        low = params["context_tokens"] * (1 - params["context_tolerance"])
        if not any(d["tokens"] >= low for d in documents):
            longest = max(d["tokens"] for d in documents)
            problems.append(f"params.context_tokens: {params['context_tokens']} tokens, but the "
                            f"longest matching document has {longest}")
        return problems

    def plan_sample(self, params: dict[str, Any], documents: list[dict[str, Any]],
                    index: int, seed: int) -> dict[str, Any]:
        low = params["context_tokens"] * (1 - params["context_tolerance"])
        long_enough = [d for d in documents if d["tokens"] >= low] or documents
        return plan_sample(params, long_enough, index, seed)

    def build_context(self, material: dict[str, Any], texts: dict[str, str]
                      ) -> tuple[str, dict[str, Any]]:
        return build_context(material, texts)

    def units(self, params: dict[str, Any]) -> int:
        return int(params["pairs"])

    def unit_call(self, unit: UnitInput) -> UnitCall:
        plan = unit.sample["material"]["units"][unit.index]
        return UnitCall(
            template="document_qa/pair.j2",
            variables={"task_type": plan["task_type"], "section": plan["section"],
                       "passages": [p["text"] for p in plan["passages"]],
                       "document_map": unit.sample["material"]["map"],
                       "title": next(d["title"] for d in unit.sample["material"]["documents"]
                                     if d["role"] == "main"),
                       "noise": unit.sample.get("noise", []), "feedback": unit.feedback,
                       "layers": unit.sample.get("layers", [])},
            max_tokens=900, json_schema=answer_schema(plan["task_type"]), schema_name="pair",
        )

    def parse_unit(self, reply: Any, unit: UnitInput) -> dict[str, Any]:
        plan = unit.sample["material"]["units"][unit.index]
        if not isinstance(reply, dict) or not str(reply.get("question", "")).strip():
            raise ReplyParseError("the reply holds no question")
        evidence = [{"quote": e["quote"], **locate(e["quote"], plan["passages"])}
                    for e in reply.get("evidence", [])]
        return {"task_type": plan["task_type"], "position": plan["position"],
                "question": reply["question"].strip(), "answer": reply["answer"].strip(),
                "unanswerable": plan["task_type"] == "unanswerable", "evidence": evidence,
                "passages": [[p["start"], p["end"]] for p in plan["passages"]]}

    def assemble(self, sample: dict[str, Any], outputs: list[Any],
                 context: str | None = None) -> dict[str, Any]:
        if context is None:
            raise ValueError("a document_qa record needs its sample's context")
        pairs = []
        for pair in outputs:
            positions = [position_of(e["start"], len(context)) for e in pair["evidence"]
                         if e["start"] is not None]
            pairs.append({**pair, "evidence_positions": positions})
        documents = [{k: d.get(k) for k in ("id", "title", "role", "licence", "source")}
                     for d in sample["material"]["documents"]]
        return {"context": context, "pairs": pairs, "documents": documents}

    def parts(self, content: dict[str, Any], params: dict[str, Any]) -> list[Part]:
        out = []
        for n, pair in enumerate(content["pairs"]):
            out += [Part("user", pair["question"], n), Part("assistant", pair["answer"], n)]
        return out

    def judge_call(self, sample: dict[str, Any], content: dict[str, Any]
                   ) -> tuple[str, dict[str, Any]]:
        context = content["context"]
        pairs = [{**p, "passages": [context[s:e] for s, e in p["passages"]]}
                 for p in content["pairs"]]
        return "document_qa/judge.j2", {"pairs": pairs}

    def export_row(self, fmt: str, record: dict[str, Any]) -> dict[str, Any]:
        in_system = bool(record["spec"]["params"].get("context_in_system"))
        messages = conversation_rows(record, in_system)
        return {"messages": messages, "id": record["sample_id"]} if fmt == "sft" \
            else {"messages": messages}

    def dpo_row(self, record: dict[str, Any], rejected: dict[str, Any]) -> dict[str, Any] | None:
        """Chosen: the accepted pairs; rejected: a draft the judge rejected for its
        faithfulness (other rejections are no preference about grounding)."""
        if "faithfulness" not in (rejected.get("judgment") or {}).get("failed_axes", []):
            return None
        if [p["question"] for p in rejected["pairs"]] != [p["question"] for p in record["pairs"]]:
            return None  # other questions: the two answer sets are no preference pair
        in_system = bool(record["spec"]["params"].get("context_in_system"))
        chosen = conversation_rows(record, in_system)
        worse = conversation_rows({**rejected, "context": record["context"]}, in_system)
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


document_qa = DocumentQAParadigm()
