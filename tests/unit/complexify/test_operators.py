"""Each complexification operator: a reproducible layer, and (when verifiable) a spec
that the spec checks accept on a compliant conversation and reject on a violating one."""

import pytest

from longweave.catalog import load_catalog
from longweave.complexify import (
    OPERATORS,
    SPEC_CHECKS,
    ConstraintLayer,
    apply_operators,
    check_layer,
    register_operator,
)
from longweave.paradigms.conversation.params import ConversationParams
from longweave.registry import RegistryError

SCENARIO = next(s for s in load_catalog() if s["scenario_id"] == "fin-invoice-dispute-lyon")
PARAMS = ConversationParams(segments=2, turns_per_segment=2, target_tokens=600)


def layer(name: str, seed: str = "7:0") -> ConstraintLayer:
    [built] = apply_operators([name], SCENARIO, PARAMS, seed)
    return built


def talk(*assistant: str, user: str = "Could you help me with the Lyon invoice?") -> list:
    turns = [{"role": "system", "content": "Step 1 Step 2 Step 3 basically 1 2 3 4 5 6"}]
    for text in assistant:
        turns += [{"role": "user", "content": user}, {"role": "assistant", "content": text}]
    return turns


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_every_operator_builds_a_reproducible_layer(name):
    built = layer(name)
    assert built.operator == name and built.instruction.strip()
    assert built == layer(name)
    if OPERATORS[name].verifiable:
        assert built.spec and built.spec["check"] in SPEC_CHECKS
    else:
        assert built.spec is None


def test_operator_parameters_vary_with_the_seed():
    variants = {layer(name, f"{seed}:0").model_dump_json()
                for name in ("forbidden_words", "concretise", "add_constraint")
                for seed in range(12)}
    assert len(variants) > 6


# For each verifiable operator: a conversation that satisfies its layer (built from the
# layer's own parameters), and one that violates it.
def compliant_and_violating(name: str, built: ConstraintLayer) -> tuple[list, list]:
    value = built.spec["value"]
    if name == "concretise":
        figures = ", ".join(str(10 + 7 * i) for i in range(value))
        return talk(f"The amounts are {figures}."), talk("Pay it soon.", "Allow a few days.")
    if name == "reasoning_steps":
        steps = " ".join(f"Step {i}: check part {i}." for i in range(1, value + 1))
        return talk(steps), talk("Step 1: check. Then decide.")
    if name == "format_constraint":
        good = {"bulleted_list": "Options:\n- refund\n- replacement",
                "numbered_list": "Do this:\n1. call\n2. write",
                "markdown_table": "| option | cost |\n|---|---|\n| refund | 0 |"}[value]
        return talk(good), talk("Options are a refund or a replacement.")
    if name in ("length_constraint", "answer_length"):
        return talk("word " * value), talk("word " * (value + 1))
    if name == "list_answer":
        return talk("Two things:\n- the wage\n- the rent"), talk("The wage and the rent.")
    if name == "clarifying_questions":
        return talk("When? " * value), talk("I see.")
    if name == "include_keywords":
        return (talk(f"We are in {' and '.join(value)}.", user="Where?"),
                talk("We are here.", user="Where?"))
    if name == "forbidden_words":
        return talk("That is fine."), talk(f"That is {value[0]} fine.")
    raise AssertionError(f"add a case for the verifiable operator {name}")


@pytest.mark.parametrize("name", sorted(n for n, op in OPERATORS.items() if op.verifiable))
def test_verifiable_layers_are_checked_by_their_spec(name):
    for seed in range(5):
        built = layer(name, f"{seed}:1")
        good, bad = compliant_and_violating(name, built)
        assert check_layer(built.spec, good).passed, (built.spec, good)
        verdict = check_layer(built.spec, bad)
        assert not verdict.passed and verdict.reason


def test_length_cap_stays_above_the_planned_exchange_length():
    for seed in range(10):
        assert layer("length_constraint", f"{seed}:0").spec["value"] >= 600 / 1.35 / 4


def test_system_turns_and_other_roles_are_not_checked():
    spec = {"check": "forbidden_words", "role": "assistant", "value": ["basically"]}
    assert check_layer(spec, talk("Fine.", user="basically")).passed


def test_unknown_spec_checks_fail_with_a_reason():
    verdict = check_layer({"check": "telepathy"}, talk("hi"))
    assert not verdict.passed and "unknown spec check" in verdict.reason


def test_operators_register_once():
    with pytest.raises(RegistryError, match="already registered"):
        register_operator("deepen", "again", verifiable=False)(lambda ctx: None)


def test_operators_are_registered_for_the_paradigms_they_were_written_for():
    from longweave.complexify import operator_names
    from longweave.paradigms import PARADIGMS  # noqa: F401 - registers the paradigms' own

    conversation, documents = operator_names("conversation"), operator_names("document_qa")
    assert "length_constraint" in conversation and "length_constraint" not in documents
    assert "answer_length" in documents and "answer_length" not in conversation
    assert "forbidden_words" in conversation and "forbidden_words" in documents  # any
    assert operator_names("toy") == ["forbidden_words"]
