"""A toy paradigm shipped by a package that is not longweave (tests only): the proof that
a paradigm is a plug-in. Registered through entry points (``tests/support/plugins.py``
writes its ``.dist-info``), it runs through the unchanged mesh.

A record is N short facts about the sampled scenario's domain. Its plan is independent: the
N units are asked for at once (a fan-out), and the stitcher assembles them when all are in.
It brings its own prompts, judge rubric, rule check and export rows."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from longweave.checks import CheckInput, RegisteredCheck
from longweave.contracts import CheckResult
from longweave.contracts.records import Sample
from longweave.llm import ReplyParseError
from longweave.paradigms.base import ExportOptions, Paradigm, Part, Plan, UnitCall, UnitInput

FACT_SCHEMA = {
    "type": "object",
    "properties": {"fact": {"type": "string", "minLength": 40, "maxLength": 240}},
    "required": ["fact"],
    "additionalProperties": False,
}


class ToyFactsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    facts: int = Field(3, ge=1, le=10, description="facts per record, one unit each")


class ToyFacts(Paradigm[ToyFactsParams]):
    name: ClassVar[str] = "toy_facts"
    description: ClassVar[str] = "a test plug-in: N facts about a domain, written in parallel"
    params_model = ToyFactsParams
    plan = Plan.INDEPENDENT
    content_keys = ("topic", "facts")

    def prompts_root(self) -> Path:
        return Path(__file__).parent / "prompts"

    def units(self, params: ToyFactsParams) -> int:
        return params.facts

    def unit_call(self, unit: UnitInput[ToyFactsParams]) -> UnitCall:
        return UnitCall(
            template="toy_facts/fact.j2",
            variables={"domain": unit.sample.scenario["domain"], "number": unit.index + 1,
                       "total": unit.params.facts, "feedback": unit.feedback},
            max_tokens=160, json_schema=FACT_SCHEMA, schema_name="fact",
        )

    def parse_unit(self, reply: Any, unit: UnitInput[ToyFactsParams]) -> str:
        fact = str(reply.get("fact", "")).strip()
        if not fact:
            raise ReplyParseError("the reply holds no fact")
        return fact

    def assemble(self, sample: Sample, outputs: list[Any],
                 context: str | None = None) -> dict[str, Any]:
        return {"topic": sample.scenario["domain"], "facts": list(outputs)}

    def parts(self, content: dict[str, Any], params: ToyFactsParams) -> list[Part]:
        return [Part("fact", fact, i) for i, fact in enumerate(content["facts"])]

    def judge_call(self, sample: Sample, content: dict[str, Any]
                   ) -> tuple[str, dict[str, Any]]:
        return "toy_facts/judge.j2", {"topic": content["topic"], "facts": content["facts"]}

    def export_row(self, fmt: str, record: dict[str, Any],
                   options: ExportOptions = ExportOptions()) -> dict[str, Any]:
        messages = [
            {"role": "user", "content": f"Tell me {len(record['facts'])} facts about "
                                        f"{record['topic']}."},
            {"role": "assistant", "content": "\n".join(f"- {f}" for f in record["facts"])},
        ]
        return {"messages": messages, "id": record["sample_id"]} if fmt == "sft" \
            else {"messages": messages}


paradigm = ToyFacts()


def _distinct_facts(draft: CheckInput[ToyFactsParams]) -> CheckResult:
    seen: dict[str, int] = {}
    for part in draft.parts:
        key = " ".join(re.findall(r"\w+", part.content.lower()))
        if key in seen:
            return CheckResult(name="distinct_facts", passed=False,
                               reason=f"fact {part.unit} repeats fact {seen[key]}",
                               segment_indexes=[part.unit] if part.unit is not None else [])
        seen[key] = part.unit if part.unit is not None else -1
    return CheckResult(name="distinct_facts", passed=True)


distinct_facts = RegisteredCheck("distinct_facts", frozenset({"toy_facts"}), _distinct_facts)


class ToyDigest(ToyFacts):
    """The same facts, then a digest of them: a fan-out/reduce plan. The last unit reads the
    facts (`UnitInput.inputs`) and writes one sentence about them all."""

    name: ClassVar[str] = "toy_digest"
    description: ClassVar[str] = "a test plug-in: N facts in parallel, then a digest of them"
    plan = Plan.FAN_OUT_REDUCE
    content_keys = ("topic", "facts", "digest")

    @property
    def rubric_path(self) -> Path:
        return self.prompts_root() / "toy_facts" / "rubric.yaml"  # the facts' rubric

    def units(self, params: ToyFactsParams) -> int:
        return params.facts + 1

    def unit_call(self, unit: UnitInput[ToyFactsParams]) -> UnitCall:
        if unit.index < unit.params.facts:
            return super().unit_call(unit)
        return UnitCall(template="toy_facts/digest.j2",
                        variables={"facts": unit.inputs, "feedback": unit.feedback},
                        max_tokens=160, json_schema=FACT_SCHEMA, schema_name="digest")

    def assemble(self, sample: Sample, outputs: list[Any],
                 context: str | None = None) -> dict[str, Any]:
        *facts, digest = outputs
        return {**super().assemble(sample, facts), "digest": digest}

    def parts(self, content: dict[str, Any], params: ToyFactsParams) -> list[Part]:
        return [*super().parts(content, params),
                Part("digest", content["digest"], len(content["facts"]))]


digest = ToyDigest()
