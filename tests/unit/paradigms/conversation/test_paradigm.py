"""The conversation paradigm through its contract: units, assembly, parts, export rows."""

import jsonschema
import pytest
from pydantic import ValidationError

from longweave.paradigms import PARADIGMS, Plan, UnitInput
from longweave.prompts import PromptLibrary
from support.samples import make_draft, make_sample, spec_for

conversation = PARADIGMS["conversation"]
SCENARIO = {"assistant_persona": "a clerk", "audience": "citizens", "tone": "calm",
            "guidance": "Be brief.", "geography": {"city": "Oslo", "country": "Norway"},
            "domain": "finance"}
SYSTEM = {"role": "system", "content": "You are a clerk."}


def turns(*pairs):
    out = [SYSTEM]
    for user, assistant in pairs:
        out += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    return out


RECORD = {"sample_id": "run-1-000000", "paradigm": "conversation",
          "messages": turns(("hi", "hello"), ("bill?", "paid"))}


def test_params_fill_defaults_and_refuse_what_is_wrong():
    params = conversation.parse_params({"segments": 3})
    assert params.segments == 3 and params.turns_per_segment == 2
    assert conversation.units(params) == 3 and conversation.plan is Plan.SEQUENTIAL
    for bad in ({"segments": 0}, {"turns": 2}, {"assistant_json_schema": {"type": 5}}):
        with pytest.raises(ValidationError):
            conversation.parse_params(bad)


def test_a_unit_call_asks_for_k_exchanges_and_parses_them_into_turns():
    params = conversation.parse_params({"segments": 2, "turns_per_segment": 3})
    unit = UnitInput(sample=make_sample(scenario=SCENARIO), params=params, index=1,
                     context="earlier", feedback=["shorter"])
    call = conversation.unit_call(unit)
    assert call.template == "conversation/segment.j2"
    assert call.variables["first_exchange"] == 4 and call.variables["feedback"] == ["shorter"]
    reply = {"exchanges": [{"user": "u" * 30, "assistant": "a" * 300}] * 3}
    jsonschema.validate(reply, call.json_schema)
    output = conversation.parse_unit(reply, unit)
    assert [t["role"] for t in output] == ["user", "assistant"] * 3


FULL_SCENARIO = {"scenario_id": "s1", "business_scenario": "A bakery disputes an invoice.",
                 "guidance": "Ask for the invoice number first.", "tone": "calm",
                 "domain": "banking", "user_persona": "a baker", "assistant_persona": "a clerk",
                 "register": "plain", "audience": "owners", "document_type": "chat",
                 "geography": {"city": "Lyon", "country": "France", "language": "French",
                               "regulatory_notes": "SEPA rules"}}


def rendered_segment_prompt(scenario_fields=None, noise=()):
    params = conversation.parse_params({})
    spec = spec_for("conversation", {}, scenario_fields=scenario_fields)
    sample = make_sample(scenario=FULL_SCENARIO, spec=spec, noise=list(noise))
    call = conversation.unit_call(UnitInput(sample=sample, params=params, index=0))
    return PromptLibrary().render(call.template, **call.variables).messages[1]["content"]


@pytest.mark.parametrize("shown, present, absent", [
    (1, ["A bakery disputes"], ["calm", "Lyon", "a baker", "invoice number", "banking"]),
    (3, ["A bakery disputes", "calm", "Lyon, France", "SEPA rules"],
     ["a baker", "invoice number", "banking"]),
    (5, ["A bakery disputes", "calm", "Lyon", "a baker", "invoice number"],
     ["a clerk", "banking", "Register:"]),
    (None, ["A bakery disputes", "calm", "Lyon", "a baker", "invoice number", "a clerk",
            "banking", "Register: plain", "Audience: owners", "Format: chat"], []),
])
def test_the_segment_prompt_shows_the_first_k_scenario_fields(shown, present, absent):
    prompt = rendered_segment_prompt(shown)
    assert all(text in prompt for text in present), prompt
    assert not any(text in prompt for text in absent), prompt


def test_no_noise_leaves_the_surface_form_instruction_out():
    assert "Vary the surface form" not in rendered_segment_prompt()
    assert "Vary the surface form: say it twice." in rendered_segment_prompt(
        noise=["say it twice"])


def test_the_history_is_carried_verbatim_while_it_fits_then_summarised():
    params = conversation.parse_params({})
    unit = UnitInput(sample=make_sample(), params=params, index=0)
    output = [{"role": "user", "content": "q " * 20}, {"role": "assistant", "content": "a"}]
    assert conversation.carry_forward(unit, output, budget_tokens=1000).startswith("user: q")
    assert conversation.carry_forward(unit, output, budget_tokens=5) is None
    assert conversation.summary_call(unit, output).template == "conversation/summary.j2"


def test_units_assemble_into_one_conversation_whose_parts_name_their_segment():
    params = conversation.parse_params({"segments": 2, "turns_per_segment": 1})
    content = conversation.assemble(make_sample(scenario=SCENARIO), [
        [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1"}],
        [{"role": "user", "content": "q2"}, {"role": "assistant", "content": "a2"}],
    ])
    assert list(content) == list(conversation.content_keys)
    assert content["messages"][0]["role"] == "system"
    assert "Oslo, Norway" in content["messages"][0]["content"]
    parts = conversation.parts(content, params)
    assert [(p.content, p.unit) for p in parts] == [("q1", 0), ("a1", 0), ("q2", 1), ("a2", 1)]


def test_sft_and_openai_rows_carry_the_conversation():
    assert conversation.export_row("sft", RECORD) == {"messages": RECORD["messages"],
                                                      "id": "run-1-000000"}
    assert conversation.export_row("openai", RECORD) == {"messages": RECORD["messages"]}


def test_dpo_prompt_is_the_shared_opening_up_to_the_last_shared_user_turn():
    rejected = make_draft({"messages": turns(("hi", "hello"), ("bill?", "no idea, sorry"))},
                          judgment={"passed": False})
    row = conversation.dpo_row(RECORD, rejected)
    assert row["prompt"] == turns(("hi", "hello")) + [{"role": "user", "content": "bill?"}]
    assert row["chosen"] == [{"role": "assistant", "content": "paid"}]
    assert row["rejected"] == [{"role": "assistant", "content": "no idea, sorry"}]


def test_dpo_of_a_wholly_rewritten_record_starts_after_the_first_user_turn():
    rejected = make_draft({"messages": turns(("hey", "yo"), ("money", "meh"))},
                          judgment={"passed": False})
    row = conversation.dpo_row(RECORD, rejected)
    assert row["prompt"] == [SYSTEM, {"role": "user", "content": "hi"}]
    assert row["chosen"][0] == {"role": "assistant", "content": "hello"}
    assert row["rejected"][0] == {"role": "assistant", "content": "yo"}
