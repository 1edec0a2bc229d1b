"""The verifiable instruction–response paradigm: a user request grounded in a sampled
scenario, 1-4 verifiable instructions on top of it (`longweave.instructions`), and a
response that code can check against every one of them.

Two units, one after the other: the first writes the request; the second answers the
request under its instructions, drawn from the request (seeded by the sample, so every
attempt that answers the same request gets the same ones). The rule check
``instructions_followed`` runs every instruction's checker; a response that fails one is
regenerated alone (the request stays) with the checkers' reasons as feedback. The judge
scores only what code cannot: helpfulness and naturalness under the constraints.
Exports: ``sft``, ``openai``, ``grpo`` (the prompt and the instructions as the verifier
column `longweave.rewards` reads) and ``dpo`` (chosen: the accepted response; rejected: a
response to the same prompt that failed a checker, with the failed checkers named)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from longweave.contracts.records import Draft, Sample
from longweave.llm.parsing import ReplyParseError
from longweave.paradigms.base import ExportOptions, Paradigm, Part, Plan, UnitCall, UnitInput
from longweave.paradigms.instruction import checks  # noqa: F401 - registers its check
from longweave.paradigms.instruction.logic import instructions_for, prompt_text
from longweave.paradigms.instruction.params import InstructionParams

REQUEST_UNIT, RESPONSE_UNIT = 0, 1


def _text_schema(key: str, min_length: int, max_length: int) -> dict[str, Any]:
    return {"type": "object",
            "properties": {key: {"type": "string", "minLength": min_length,
                                 "maxLength": max_length}},
            "required": [key], "additionalProperties": False}


class InstructionParadigm(Paradigm[InstructionParams]):
    name: ClassVar[str] = "instruction"
    description: ClassVar[str] = ("user requests with verifiable instructions and responses "
                                  "checked by code")
    params_model = InstructionParams
    plan = Plan.SEQUENTIAL
    export_formats = ("sft", "openai", "grpo", "dpo")
    content_keys = ("prompt", "request", "instructions", "response")

    def units(self, params: InstructionParams) -> int:
        return 2

    def unit_call(self, unit: UnitInput[InstructionParams]) -> UnitCall:
        if unit.index == REQUEST_UNIT:
            return UnitCall(template="instruction/request.j2",
                            variables={"scenario": unit.sample.scenario,
                                       "noise": unit.sample.noise},
                            max_tokens=300, json_schema=_text_schema("request", 20, 800),
                            schema_name="request")
        instructions = instructions_for(unit.sample, unit.context, unit.params)
        return UnitCall(
            template="instruction/response.j2",
            variables={"scenario": unit.sample.scenario,
                       "prompt": prompt_text(unit.context, [_plain(i) for i in instructions]),
                       "feedback": unit.feedback},
            max_tokens=1200, json_schema=_text_schema("response", 1, 6000),
            schema_name="response")

    def parse_unit(self, reply: Any, unit: UnitInput[InstructionParams]) -> dict[str, Any]:
        key = "request" if unit.index == REQUEST_UNIT else "response"
        text = reply.get(key) if isinstance(reply, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise ReplyParseError(f"the reply holds no {key}")
        if unit.index == REQUEST_UNIT:
            return {"request": text.strip()}
        instructions = [_plain(i) for i in instructions_for(unit.sample, unit.context,
                                                             unit.params)]
        return {"response": text, "instructions": instructions}

    def carry_forward(self, unit: UnitInput[InstructionParams], output: Any,
                      budget_tokens: int) -> str | None:
        return str(output["request"])  # the response unit answers it (≤ 800 characters)

    def assemble(self, sample: Sample, outputs: list[Any],
                 context: str | None = None) -> dict[str, Any]:
        request, answer = outputs[REQUEST_UNIT]["request"], outputs[RESPONSE_UNIT]
        return {"prompt": prompt_text(request, answer["instructions"]), "request": request,
                "instructions": answer["instructions"], "response": answer["response"]}

    def parts(self, content: dict[str, Any], params: InstructionParams) -> list[Part]:
        return [Part("user", content["request"], REQUEST_UNIT),
                Part("assistant", content["response"], RESPONSE_UNIT)]

    def judge_call(self, sample: Sample, content: dict[str, Any]
                   ) -> tuple[str, dict[str, Any]]:
        return "instruction/judge.j2", {"prompt": content["prompt"],
                                        "response": content["response"]}

    def export_row(self, fmt: str, record: dict[str, Any],
                   options: ExportOptions = ExportOptions()) -> dict[str, Any]:
        prompt = [{"role": "user", "content": record["prompt"]}]
        if fmt == "grpo":  # TRL GRPOTrainer: the prompt, and the verifier column as JSON
            return {"prompt": prompt, "instructions": json.dumps(record["instructions"]),
                    "id": record["sample_id"]}
        messages = [*prompt, {"role": "assistant", "content": record["response"]}]
        if fmt == "sft":
            return {"messages": messages, "id": record["sample_id"]}
        if fmt == "openai":
            return {"messages": messages}
        raise ValueError(f"paradigm instruction has no {fmt!r} rows")

    def dpo_row(self, record: dict[str, Any], rejected: Draft,
                options: ExportOptions = ExportOptions()) -> dict[str, Any] | None:
        """Chosen: the accepted response; rejected: a response to the same prompt that
        failed an instruction's checker (judge rejections make no checker pair)."""
        if rejected.rejected is None or rejected.rejected.stage != "validator":
            return None
        worse = rejected.content(self.content_keys)
        failed = _failed_instructions(rejected)
        if worse["prompt"] != record["prompt"] or not failed:
            return None
        return {"prompt": [{"role": "user", "content": record["prompt"]}],
                "chosen": [{"role": "assistant", "content": record["response"]}],
                "rejected": [{"role": "assistant", "content": worse["response"]}],
                "failed_checks": failed}


def _plain(instruction: Any) -> dict[str, Any]:
    return {"name": instruction.name, "params": instruction.params}


def _failed_instructions(draft: Draft) -> list[str]:
    """The instruction types whose checker the draft failed (from its validation)."""
    for check in (draft.validation or {}).get("checks", []):
        if check.get("name") == "instructions_followed":
            return [v["name"] for v in check.get("details", {}).get("verdicts", [])
                    if not v["followed"]]
    return []


instruction = InstructionParadigm()

__all__ = ["InstructionParadigm", "InstructionParams", "instruction"]
