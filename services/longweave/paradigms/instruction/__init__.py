"""The verifiable instruction–response paradigm: a user request grounded in a sampled
scenario or in an excerpt of a corpus document, 1-4 verifiable instructions on top of it
(`longweave.instructions`), and responses that code can check against every one of them.

Units alternate, one after the other: a request, its response, then (``turns`` > 1) a
follow-up request and its response, and so on. The instructions are drawn from the first
request (seeded by the sample, so every attempt that answers it gets the same ones) and
hold for every response. The rule check ``instructions_followed`` runs every instruction's
checker on every response; a response that fails one is regenerated (with the turns after
it) with the checkers' reasons as feedback, the requests before it staying. The judge
scores only what code cannot: helpfulness and naturalness under the constraints.
Exports: ``sft``, ``openai``, ``grpo`` (the conversation up to the last request, and the
instructions as the verifier column `longweave.rewards` reads) and ``dpo`` (chosen: the
accepted last response; rejected: one to the same conversation that failed a checker,
with the failed checkers named)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from longweave.contracts.records import Draft, Sample
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
from longweave.paradigms.instruction import checks  # noqa: F401 - registers its check
from longweave.paradigms.instruction.logic import (
    build_excerpt,
    carried,
    history_of,
    instructions_for,
    plan_excerpt,
    prompt_text,
)
from longweave.paradigms.instruction.params import InstructionParams


def _text_schema(key: str, min_length: int, max_length: int) -> dict[str, Any]:
    return {"type": "object",
            "properties": {key: {"type": "string", "minLength": min_length,
                                 "maxLength": max_length}},
            "required": [key], "additionalProperties": False}


def _is_request(index: int) -> bool:
    return index % 2 == 0


class InstructionParadigm(Paradigm[InstructionParams]):
    name: ClassVar[str] = "instruction"
    description: ClassVar[str] = ("user requests with verifiable instructions and responses "
                                  "checked by code")
    params_model = InstructionParams
    plan = Plan.SEQUENTIAL
    export_formats = ("sft", "openai", "grpo", "dpo")
    content_keys = ("prompt", "request", "instructions", "response", "messages", "document")

    def reads_documents(self, params: InstructionParams) -> bool:
        return params.grounding == "document"

    def problems(self, params: InstructionParams, documents: list[dict[str, Any]]
                 ) -> list[str]:
        if params.needs_document and not any(d.get("sections") for d in documents):
            return [f"params.types: {', '.join(params.types)} cite a section, and no matching "
                    "document has any"]
        return []

    def plan_sample(self, params: InstructionParams, documents: list[dict[str, Any]],
                    index: int, seed: int) -> dict[str, Any]:
        return plan_excerpt(params, documents, index, seed)

    def build_context(self, material: dict[str, Any], texts: dict[str, str]
                      ) -> tuple[str, dict[str, Any]]:
        return build_excerpt(material, texts)

    def units(self, params: InstructionParams) -> int:
        return 2 * params.turns

    def unit_call(self, unit: UnitInput[InstructionParams]) -> UnitCall:
        history = history_of(unit.context)
        excerpt = (unit.sample.material or {}).get("excerpt")
        if _is_request(unit.index):
            return UnitCall(template="instruction/request.j2",
                            variables={"scenario": unit.sample.prompt_scenario(),
                                       "noise": unit.sample.noise, "excerpt": excerpt,
                                       "history": history},
                            max_tokens=300, json_schema=_text_schema("request", 20, 800),
                            schema_name="request")
        instructions = self._instructions(unit, history)
        first = prompt_text(history[0]["content"], instructions, excerpt, unit.params.turns)
        turns = [{**history[0], "content": first}, *history[1:]]
        return UnitCall(
            template="instruction/response.j2",
            variables={"scenario": unit.sample.prompt_scenario(), "turns": turns,
                       "feedback": unit.feedback},
            max_tokens=1200, json_schema=_text_schema("response", 1, 6000),
            schema_name="response")

    def _instructions(self, unit: UnitInput[InstructionParams],
                      history: list[dict[str, str]]) -> list[dict[str, Any]]:
        drawn = instructions_for(unit.sample, history[0]["content"], unit.params)
        return [{"name": i.name, "params": i.params} for i in drawn]

    def parse_unit(self, reply: Any, unit: UnitInput[InstructionParams]) -> dict[str, Any]:
        key = "request" if _is_request(unit.index) else "response"
        text = reply.get(key) if isinstance(reply, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise ReplyParseError(f"the reply holds no {key}")
        if _is_request(unit.index):
            return {"request": text.strip()}
        return {"response": text,
                "instructions": self._instructions(unit, history_of(unit.context))}

    def carry_forward(self, unit: UnitInput[InstructionParams], output: Any,
                      budget_tokens: int) -> str | None:
        # The conversation so far, verbatim (at most four short exchanges).
        if _is_request(unit.index):
            return carried(unit.context, "user", output["request"])
        return carried(unit.context, "assistant", output["response"])

    def assemble(self, sample: Sample, outputs: list[Any],
                 context: str | None = None) -> dict[str, Any]:
        requests = [o["request"] for o in outputs[0::2]]
        responses = [o["response"] for o in outputs[1::2]]
        instructions = outputs[1]["instructions"]
        turns = len(responses)
        prompt = prompt_text(requests[0], instructions, context, turns)
        messages: list[dict[str, str]] = []
        for n, (request, response) in enumerate(zip(requests, responses, strict=True)):
            messages += [{"role": "user", "content": prompt if n == 0 else request},
                         {"role": "assistant", "content": response}]
        document = None
        if sample.material is not None:
            [part] = sample.material["documents"]
            document = {k: part.get(k) for k in ("id", "title", "licence", "source")}
        return {"prompt": prompt, "request": requests[0], "instructions": instructions,
                "response": responses[-1], "messages": messages, "document": document}

    def parts(self, content: dict[str, Any], params: InstructionParams) -> list[Part]:
        # The model wrote the requests, not the excerpt or the instructions: the first
        # user part is the request alone.
        messages = content["messages"]
        return [Part(m["role"], content["request"] if n == 0 else m["content"], n)
                for n, m in enumerate(messages)]

    def judge_call(self, sample: Sample, content: dict[str, Any]
                   ) -> tuple[str, dict[str, Any]]:
        return "instruction/judge.j2", {"messages": content["messages"]}

    def export_row(self, fmt: str, record: dict[str, Any],
                   options: ExportOptions = ExportOptions()) -> dict[str, Any]:
        messages = _messages(record)
        if fmt == "grpo":  # TRL GRPOTrainer: the prompt, and the verifier column as JSON
            return {"prompt": messages[:-1], "instructions": json.dumps(record["instructions"]),
                    "id": record["sample_id"]}
        if fmt == "sft":
            return {"messages": messages, "id": record["sample_id"]}
        if fmt == "openai":
            return {"messages": messages}
        raise ValueError(f"paradigm instruction has no {fmt!r} rows")

    def dpo_row(self, record: dict[str, Any], rejected: Draft,
                options: ExportOptions = ExportOptions()) -> dict[str, Any] | None:
        """Chosen: the accepted last response; rejected: a last response to the same
        conversation that failed an instruction's checker (judge rejections make no
        checker pair)."""
        if rejected.rejected is None or rejected.rejected.stage != "validator":
            return None
        # Its content as stored (a draft from before multi-turn has no messages).
        worse = _messages(rejected.model_extra or {})
        failed = _failed_instructions(rejected)
        messages = _messages(record)
        if worse[:-1] != messages[:-1] or not failed:
            return None
        return {"prompt": messages[:-1], "chosen": messages[-1:], "rejected": worse[-1:],
                "failed_checks": failed}

    def report_section(self, records: list[dict[str, Any]], drafts: list[dict[str, Any]]
                       ) -> ReportSection | None:
        from longweave.paradigms.instruction.report import report_section

        return report_section(records, drafts)


def _messages(content: dict[str, Any]) -> list[dict[str, str]]:
    """The conversation; a record stored before conversations of several turns has only
    its prompt and response."""
    return content.get("messages") or [{"role": "user", "content": content["prompt"]},
                                       {"role": "assistant", "content": content["response"]}]


def _failed_instructions(draft: Draft) -> list[str]:
    """The instruction types whose checker the draft failed (from its validation)."""
    for check in (draft.validation or {}).get("checks", []):
        if check.get("name") == "instructions_followed":
            return list(dict.fromkeys(v["name"] for v in check.get("details", {})
                                      .get("verdicts", []) if not v["followed"]))
    return []


instruction = InstructionParadigm()

__all__ = ["InstructionParadigm", "InstructionParams", "instruction"]
