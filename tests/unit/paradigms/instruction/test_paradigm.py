"""The instruction paradigm through its contract: params, the request and response units,
instructions drawn once per request, the rule check with every checker's verdict, and the
sft/openai/grpo/dpo rows (the grpo row scored by `longweave.rewards`)."""

import json

import pytest
from pydantic import ValidationError

from longweave.checks import CheckInput, run_checks
from longweave.instructions import INSTRUCTIONS, Instruction, describe
from longweave.paradigms import PARADIGMS, Plan, UnitInput
from longweave.rewards import instruction_following
from support.instruction_responses import planted
from support.samples import make_draft, make_sample

instruction = PARADIGMS["instruction"]
REQUEST = "My refund for the broken kettle is three weeks late. What is going on?"
PARAMS = {"types": ["startend:end_checker", "punctuation:no_comma", "keywords:existence"],
          "min_instructions": 2, "max_instructions": 2}


def sample(sample_id="run-1-000000", params=PARAMS):
    return make_sample(sample_id, "instruction", params,
                       scenario={"domain": "retail", "business_scenario": "late refunds",
                                 "assistant_persona": "a support agent",
                                 "user_persona": "a customer",
                                 "geography": {"city": "Lyon", "country": "France"}})


def unit(s, index, feedback=()):
    return UnitInput(sample=s, params=instruction.params_of(s), index=index,
                     context=REQUEST if index else "", context_is_transcript=bool(index),
                     feedback=list(feedback))


def written(s):
    """The two units' outputs, the response built to follow the drawn instructions."""
    drawn = instruction.parse_unit({"response": "placeholder"}, unit(s, 1))["instructions"]
    text = " ".join(planted(i["name"], i["params"], 0, True) for i in drawn
                    if i["name"] != "startend:end_checker")
    end = [i for i in drawn if i["name"] == "startend:end_checker"]
    if end:
        text += " " + end[0]["params"]["end_phrase"]
    return [{"request": REQUEST}, {"response": text, "instructions": drawn}]


def test_params_default_and_refuse_unknown_types_and_bad_ranges():
    params = instruction.parse_params({})
    assert (params.min_instructions, params.max_instructions, params.mode) == (1, 3, "strict")
    assert instruction.units(params) == 2 and instruction.plan is Plan.SEQUENTIAL
    with pytest.raises(ValidationError, match="unknown instruction 'poetry:rhyme'"):
        instruction.parse_params({"types": ["poetry:rhyme"]})
    with pytest.raises(ValidationError, match="min_instructions is above"):
        instruction.parse_params({"min_instructions": 3, "max_instructions": 2})


def test_the_response_unit_answers_the_request_under_its_drawn_instructions():
    s = sample()
    first = instruction.unit_call(unit(s, 0))
    assert first.template == "instruction/request.j2" and first.schema_name == "request"
    call = instruction.unit_call(unit(s, 1, feedback=["punctuation:no_comma: uses commas"]))
    prompt = instruction.prompts.render(call.template, **call.variables)
    user = prompt.messages[-1]["content"]
    drawn = instruction.parse_unit({"response": "x"}, unit(s, 1))["instructions"]
    assert len(drawn) == 2 and {i["name"] for i in drawn} <= set(PARAMS["types"])
    assert REQUEST in user and all(describe(Instruction(**i)) in user for i in drawn)
    assert "uses commas" in user  # the checker's reason comes back as feedback
    # Every attempt answering this request gets the same instructions; another sample not
    # necessarily: over a few samples the draws differ.
    assert instruction.parse_unit({"response": "y"}, unit(s, 1))["instructions"] == drawn
    draws = {json.dumps(instruction.parse_unit({"response": "y"}, unit(
        sample(f"run-1-00000{i}"), 1))["instructions"]) for i in range(6)}
    assert len(draws) > 1


def test_an_empty_reply_is_a_parse_error():
    from longweave.llm import ReplyParseError

    with pytest.raises(ReplyParseError, match="no response"):
        instruction.parse_unit({"response": "  "}, unit(sample(), 1))
    with pytest.raises(ReplyParseError, match="no request"):
        instruction.parse_unit({}, unit(sample(), 0))


def check(s, content):
    params = instruction.params_of(s)
    return {r.name: r for r in run_checks("instruction", CheckInput(
        parts=instruction.parts(content, params), spec=s.spec, params=params,
        content=content, finish_reasons=["stop", "stop"]))}


def test_the_rule_check_runs_every_checker_and_keeps_their_verdicts():
    s = sample()
    content = instruction.assemble(s, written(s))
    assert content["prompt"].startswith(REQUEST) and content["request"] == REQUEST
    result = check(s, content)["instructions_followed"]
    assert result.passed, result.reason
    assert [v["name"] for v in result.details["verdicts"]] == \
        [i["name"] for i in content["instructions"]]
    broken = {**content, "response": content["response"] + ", and a comma, then more words"}
    result = check(s, broken)["instructions_followed"]
    assert not result.passed and result.segment_indexes == [1]  # only the response is redone
    assert any(not v["followed"] for v in result.details["verdicts"])


def test_loose_mode_accepts_what_ifeval_loose_accepts():
    only_end = {"types": ["startend:end_checker"], "min_instructions": 1,
                "max_instructions": 1}
    for mode, followed in (("strict", False), ("loose", True)):
        s = sample(params={**only_end, "mode": mode})
        content = instruction.assemble(s, written(s))
        content["response"] += "\n-- the support team"  # a sign-off after the end phrase
        assert check(s, content)["instructions_followed"].passed is followed


def record_of(s):
    content = instruction.assemble(s, written(s))
    return {**content, "sample_id": s.id, "paradigm": "instruction"}


def test_sft_openai_and_grpo_rows_and_the_grpo_rows_reward():
    record = record_of(sample())
    sft = instruction.export_row("sft", record)
    assert [m["role"] for m in sft["messages"]] == ["user", "assistant"]
    assert sft["messages"][0]["content"] == record["prompt"] and sft["id"] == record["sample_id"]
    assert instruction.export_row("openai", record) == {"messages": sft["messages"]}
    grpo = instruction.export_row("grpo", record)
    assert grpo["prompt"] == sft["messages"][:1]
    assert json.loads(grpo["instructions"]) == record["instructions"]
    assert instruction_following([record["response"]], instructions=[grpo["instructions"]]) \
        == [1.0]
    assert instruction_following(["A reply, with commas"],
                                 instructions=[grpo["instructions"]]) < [1.0]


def test_dpo_pairs_a_response_to_the_same_prompt_that_failed_a_checker():
    s = sample()
    record = record_of(s)
    content = {k: record[k] for k in instruction.content_keys}
    worse = {**content, "response": "A reply, with commas."}
    result = check(s, worse)["instructions_followed"]
    validation = {"passed": False, "checks": [result.model_dump(mode="json")]}
    rejected = make_draft(worse, validation=validation, rejected={
        "stage": "validator", "reasons": [f"instructions_followed: {result.reason}"]})
    row = instruction.dpo_row(record, rejected)
    assert row["prompt"] == [{"role": "user", "content": record["prompt"]}]
    assert row["chosen"][0]["content"] == record["response"]
    assert row["rejected"][0]["content"] == "A reply, with commas."
    assert "punctuation:no_comma" in row["failed_checks"]
    assert set(row["failed_checks"]) <= {i["name"] for i in record["instructions"]}
    judged = make_draft(worse, judgment={"passed": False},
                        rejected={"stage": "judge", "reasons": ["helpfulness: 2"]})
    assert instruction.dpo_row(record, judged) is None
    other = make_draft({**worse, "prompt": "another prompt"}, validation=validation,
                       rejected={"stage": "validator", "reasons": ["x"]})
    assert instruction.dpo_row(record, other) is None


def test_every_instruction_type_can_be_asked_for():
    assert set(PARADIGMS["instruction"].parse_params({"types": sorted(INSTRUCTIONS)}).types) \
        == set(INSTRUCTIONS)
