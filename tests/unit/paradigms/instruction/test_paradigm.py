"""The instruction paradigm through its contract: params, the request and response units
(one exchange or several; about the scenario or about a corpus excerpt), instructions drawn
once per sample, the rule check with every checker's verdict on every response, and the
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


def unit(s, index, feedback=(), history=None):
    """Unit `index` of `s`, continuing `history` (default: the request, for the response)."""
    if history is None:
        history = [{"role": "user", "content": REQUEST}] if index else []
    return UnitInput(sample=s, params=instruction.params_of(s), index=index,
                     context=json.dumps(history) if history else "",
                     context_is_transcript=bool(history), feedback=list(feedback))


def with_response(content, text):
    """The content with its last response replaced by `text`."""
    messages = [*content["messages"][:-1], {"role": "assistant", "content": text}]
    return {**content, "response": text, "messages": messages}


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
    broken = with_response(content, content["response"] + ", and a comma, then more words")
    result = check(s, broken)["instructions_followed"]
    assert not result.passed and result.segment_indexes == [1]  # only the response is redone
    assert any(not v["followed"] for v in result.details["verdicts"])


def test_loose_mode_accepts_what_ifeval_loose_accepts():
    only_end = {"types": ["startend:end_checker"], "min_instructions": 1,
                "max_instructions": 1}
    for mode, followed in (("strict", False), ("loose", True)):
        s = sample(params={**only_end, "mode": mode})
        content = instruction.assemble(s, written(s))
        # A sign-off after the end phrase.
        content = with_response(content, content["response"] + "\n-- the support team")
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
    worse = with_response(content, "A reply, with commas.")
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
    other_messages = [{"role": "user", "content": "another prompt"}, worse["messages"][1]]
    other = make_draft({**worse, "messages": other_messages}, validation=validation,
                       rejected={"stage": "validator", "reasons": ["x"]})
    assert instruction.dpo_row(record, other) is None


def test_every_instruction_type_can_be_asked_for():
    assert set(PARADIGMS["instruction"].parse_params({"types": sorted(INSTRUCTIONS)}).types) \
        == set(INSTRUCTIONS)


TWO_TURNS = {"types": ["longweave:persona", "punctuation:no_comma"], "min_instructions": 2,
             "max_instructions": 2, "turns": 2}
FOLLOW_UP = "Thanks. Can I ask for a replacement kettle instead of the refund?"


def persona_reply(instructions, body):
    [persona] = [i["params"] for i in instructions if i["name"] == "longweave:persona"]
    return f"{persona['address']} {body}\n— {persona['persona']}"


def two_turns(s, second=None):
    """Outputs of the four units: request, response, follow-up, response (each following
    the persona, unless `second` replaces the last response)."""
    drawn = instruction.parse_unit({"response": "x"}, unit(s, 1))["instructions"]
    first = persona_reply(drawn, "your refund left our bank on Monday")
    last = second or persona_reply(drawn, "yes a replacement can go out this week")
    return [{"request": REQUEST}, {"response": first, "instructions": drawn},
            {"request": FOLLOW_UP}, {"response": last, "instructions": drawn}]


def test_a_conversation_of_several_turns_holds_the_instructions_in_every_reply():
    s = sample(params=TWO_TURNS)
    params = instruction.params_of(s)
    assert instruction.units(params) == 4
    outputs = two_turns(s)
    history = [{"role": "user", "content": REQUEST},
               {"role": "assistant", "content": outputs[1]["response"]}]
    follow_up = instruction.prompts.render(**_call(instruction.unit_call(
        unit(s, 2, history=history)))).messages[-1]["content"]
    assert "follow-up" in follow_up and outputs[1]["response"] in follow_up
    history.append({"role": "user", "content": FOLLOW_UP})
    answer = instruction.prompts.render(**_call(instruction.unit_call(
        unit(s, 3, history=history)))).messages[-1]["content"]
    assert "every reply in this conversation" in answer and answer.rstrip().endswith(
        'Return JSON: {"response": "..."}') and FOLLOW_UP in answer
    content = instruction.assemble(s, outputs)
    assert [m["role"] for m in content["messages"]] == ["user", "assistant"] * 2
    assert content["messages"][0]["content"] == content["prompt"]
    assert content["messages"][2]["content"] == FOLLOW_UP
    result = check(s, content)["instructions_followed"]
    assert result.passed and {v["turn"] for v in result.details["verdicts"]} == {1, 2}
    # The persona dropped in the second reply: that reply is redone (and nothing before).
    dropped = instruction.assemble(s, two_turns(s, second="Yes a replacement can go out."))
    result = check(s, dropped)["instructions_followed"]
    assert not result.passed and result.segment_indexes == [3]
    assert "longweave:persona (reply 2)" in result.reason
    # A first reply that breaks one: it and the turns after it are redone.
    broken_first = two_turns(s)
    broken_first[1] = {**broken_first[1], "response": "No, sorry, not at all."}
    result = check(s, instruction.assemble(s, broken_first))["instructions_followed"]
    assert result.segment_indexes == [1, 2, 3]


def test_a_conversations_grpo_prompt_is_every_turn_but_the_last_reply():
    s = sample(params=TWO_TURNS)
    record = {**instruction.assemble(s, two_turns(s)), "sample_id": s.id}
    grpo = instruction.export_row("grpo", record)
    assert grpo["prompt"] == record["messages"][:3]
    assert instruction_following([record["response"]], instructions=[grpo["instructions"]]) \
        == [1.0]
    assert instruction_following(["Yes, a replacement."],
                                 instructions=[grpo["instructions"]]) == [0.0]


def _call(call):
    return {"name": call.template, **call.variables}


def test_a_document_grounded_request_is_about_an_excerpt_with_its_sections():
    from support.documents import corpus_entries

    entries, texts = corpus_entries()
    params = {"grounding": "document", "excerpt_tokens": 3000, "tags": ["novel"],
              "types": ["longweave:cite_section"], "min_instructions": 1,
              "max_instructions": 1}
    typed = instruction.parse_params(params)
    assert instruction.reads_documents(typed)
    assert not instruction.reads_documents(instruction.parse_params({}))
    assert instruction.document_filter(typed) == {"tags": {"$all": ["novel"]}}
    assert instruction.problems(typed, entries) == []
    grounded = []
    for index in range(len(entries) * 2):
        material = instruction.plan_sample(typed, entries, index, seed=1)
        excerpt, material = instruction.build_context(material, texts)
        assert 0.7 * 3000 <= len(excerpt) / 4 <= 1.05 * 3000
        # Its sections' headings are in it (a heading's line breaks aside).
        flat = " ".join(excerpt.split())
        assert all(" ".join(section.split()) in flat for section in material["sections"])
        s = sample(f"run-1-{index:06d}", params).model_copy(
            update={"material": material, "context_id": f"run-1-{index:06d}"})
        request = instruction.prompts.render(**_call(instruction.unit_call(unit(s, 0))))
        assert excerpt in request.messages[-1]["content"]
        drawn = instruction.parse_unit({"response": "x"}, unit(s, 1))["instructions"]
        if material["sections"]:  # cite_section cites a section the excerpt has
            assert drawn[0]["params"]["section"] in material["sections"]
            grounded.append(index)
            content = instruction.assemble(s, [{"request": REQUEST},
                                               {"response": "x", "instructions": drawn}],
                                           excerpt)
            assert content["prompt"].startswith(excerpt + "\n\n" + REQUEST)
            assert content["document"]["licence"].startswith("Project Gutenberg")
            assert instruction.parts(content, typed)[0].content == REQUEST
    assert grounded  # the books' chapters gave sections to cite


def test_types_that_need_a_document_are_refused_or_planned_for():
    from support.documents import corpus_entries

    with pytest.raises(ValidationError, match="apply only to a request about a document"):
        instruction.parse_params({"types": ["longweave:cite_section"]})
    typed = instruction.parse_params({"types": ["longweave:cite_section"],
                                      "grounding": "document"})
    entries, _ = corpus_entries()
    assert instruction.problems(typed, entries) == []
    without_sections = [{**e, "sections": []} for e in entries]
    assert "cite a section, and no matching document has any" in \
        instruction.problems(typed, without_sections)[0]
    # Mixed with a type that needs nothing, the draw does with what applies.
    mixed = sample(params={"types": ["longweave:cite_section", "punctuation:no_comma"],
                           "min_instructions": 2, "max_instructions": 2})
    drawn = instruction.parse_unit({"response": "x"}, unit(mixed, 1))["instructions"]
    assert [i["name"] for i in drawn] == ["punctuation:no_comma"]


def test_a_record_stored_before_multi_turn_conversations_still_exports():
    record = record_of(sample())
    old = {k: v for k, v in record.items() if k != "messages"}
    for fmt in ("sft", "openai", "grpo"):
        assert instruction.export_row(fmt, old) == instruction.export_row(fmt, record)
    worse = {"prompt": record["prompt"], "request": record["request"],
             "instructions": record["instructions"], "response": "A reply, with commas."}
    validation = {"checks": [{"name": "instructions_followed", "passed": False, "details": {
        "verdicts": [{"name": "punctuation:no_comma", "followed": False}]}}]}
    draft = make_draft(worse, validation=validation,
                       rejected={"stage": "validator", "reasons": ["commas"]})
    row = instruction.dpo_row(old, draft)
    assert row["rejected"] == [{"role": "assistant", "content": "A reply, with commas."}]
    assert row["failed_checks"] == ["punctuation:no_comma"]
