"""Seeded noise operators: deterministic, and bounded in what they change."""

import re

import pytest

from longweave.noise import NOISE_INSTRUCTIONS, NOISE_OPERATORS, apply_noise, content_words

TEXT = (
    "In Lyon, the office opens at 9 on weekdays. You need the form and the receipt, because "
    "the bank will verify them. If the payment fails, the system sends a notice. We can "
    "explain the main option today, and the team will answer within five days. Bring bread "
    "and butter. Please keep a copy of every document you choose to send. It is important "
    "to be sure the price is correct. Usually the small fee is easy to pay."
)
SENTENCES = len(re.findall(r"[.!?](?=\s|$)", TEXT))


def words(text: str) -> list[str]:
    return re.findall(r"[\w'-]+", text)


def test_every_transformation_has_an_instruction_and_an_operator():
    assert set(NOISE_INSTRUCTIONS) == set(NOISE_OPERATORS)


@pytest.mark.parametrize("name", sorted(NOISE_OPERATORS))
def test_operators_are_deterministic_and_change_the_text(name):
    once = apply_noise(TEXT, [name], seed=3)
    assert once == apply_noise(TEXT, [name], seed=3)
    assert once != TEXT
    assert {apply_noise(TEXT, [name], seed=s) for s in range(20)} != {TEXT}


def test_synonym_substitution_swaps_a_bounded_share_of_words_one_for_one():
    for seed in range(10):
        out = apply_noise(TEXT, ["synonym_substitution"], seed)
        before, after = words(TEXT), words(out)
        assert len(before) == len(after)
        changed = sum(a != b for a, b in zip(before, after, strict=True))
        assert 1 <= changed <= 0.15 * len(before)


@pytest.mark.parametrize("name", ["sentence_restructuring", "phrase_reordering"])
def test_reordering_operators_keep_every_word_and_touch_few_sentences(name):
    for seed in range(10):
        out = apply_noise(TEXT, [name], seed)
        assert content_words(out) == content_words(TEXT)
        assert out[0].isupper()
        kept = sum(s.strip() in out for s in re.split(r"(?<=[.!?])\s+", TEXT))
        assert kept >= SENTENCES - max(1, SENTENCES // 3) - 1  # a split counts twice


def test_mild_redundancy_keeps_the_text_and_adds_a_short_restatement():
    for seed in range(10):
        out = apply_noise(TEXT, ["mild_redundancy"], seed)
        remaining = out
        for sentence in re.split(r"(?<=[.!?])\s+", TEXT):  # every sentence, still in order
            position = remaining.find(sentence)
            assert position >= 0, sentence
            remaining = remaining[position + len(sentence):]
        assert len(TEXT) < len(out) <= 1.4 * len(TEXT)


def test_operators_compose_and_leave_text_without_candidates_alone():
    assert apply_noise("", list(NOISE_OPERATORS), seed=1) == ""
    assert apply_noise("Yes.", ["phrase_reordering", "sentence_restructuring"], 1) == "Yes."
    both = apply_noise(TEXT, ["synonym_substitution", "phrase_reordering"], seed=8)
    assert both == apply_noise(TEXT, ["synonym_substitution", "phrase_reordering"], seed=8)
