"""The GRPO reward functions with TRL's signature: 1.0 for responses that follow every
instruction (or give the exact answer), less for planted wrong ones, from dataset columns
as GRPOTrainer passes them (JSON text or lists; text or conversational completions)."""

import json
import random

import pytest

from longweave.instructions import DrawContext, draw_instructions
from longweave.rewards import (
    exact_answer,
    instruction_following,
    instruction_following_all,
    instruction_following_loose,
    instruction_reward,
    normalise_answer,
)
from support.instruction_responses import PROMPT, SECTIONS, TOPIC, planted

CTX = DrawContext(prompt=PROMPT, topic_words=TOPIC, sections=SECTIONS)


def rows(seed):
    """One instruction per row (a planted response follows or breaks exactly it)."""
    instructions = draw_instructions(random.Random(seed), 1, CTX)
    spec = [{"name": i.name, "params": i.params} for i in instructions]
    good = planted(instructions[0].name, instructions[0].params, seed, True)
    bad = planted(instructions[0].name, instructions[0].params, seed, False)
    return spec, good, bad


def test_followed_instructions_score_one_and_broken_ones_less():
    specs, goods, bads = zip(*(rows(seed) for seed in range(60)), strict=True)
    columns = {"instructions": [json.dumps(s) for s in specs], "prompts": ["p"] * 60}
    for reward in (instruction_following, instruction_following_loose,
                   instruction_following_all):
        assert reward(list(goods), **columns) == [1.0] * 60
        assert all(r < 1.0 for r in reward(list(bads), **columns))


def test_a_fraction_of_several_instructions_or_all_or_nothing():
    spec = [{"name": "punctuation:no_comma", "params": {}},
            {"name": "startend:end_checker", "params": {"end_phrase": "Any other questions?"}}]
    half = ["No commas here. Bye."]
    conversational = [[{"role": "user", "content": "q"},
                       {"role": "assistant", "content": "No commas here. Any other questions?"}]]
    assert instruction_following(half, instructions=[spec]) == [0.5]
    assert instruction_following_all(half, instructions=[spec]) == [0.0]
    assert instruction_following(conversational, instructions=[spec]) == [1.0]
    signed_off = ["Done. Any other questions?\n-- the support team"]  # loose: last line off
    assert instruction_following(signed_off, instructions=[spec[1:]]) == [0.0]
    assert instruction_following_loose(signed_off, instructions=[spec[1:]]) == [1.0]


def test_missing_columns_and_bad_modes_say_what_is_wrong():
    with pytest.raises(KeyError, match="no 'instructions' column"):
        instruction_following(["x"], answer=["1"])
    with pytest.raises(ValueError, match="2 'answer' values for 1 completions"):
        exact_answer(["x"], answer=["1", "2"])
    with pytest.raises(ValueError, match="'strict' or 'loose'"):
        instruction_reward("lenient")


@pytest.mark.parametrize(("given", "key", "same"), [
    ("1,000.50", "1000.5", True), ("  The Answer Is  42. ", "the answer is 42", True),
    ("12%", "12.0%", True), ("-3", "-3.0", True), ("Paris", "paris!", True),
    ("42", "43", False), ("1,000", "100", False), ("yes", "no", False),
])
def test_answers_are_compared_after_normalising(given, key, same):
    assert (normalise_answer(given) == normalise_answer(key)) is same


def test_exact_answer_reads_the_final_answer_slot():
    completions = ["Step 1: 3+4=7. Step 2: 7*2=14.\nAnswer: 14", "Answer: 15", "14"]
    assert exact_answer(completions, answer=["14", "14", 14]) == [1.0, 0.0, 1.0]
