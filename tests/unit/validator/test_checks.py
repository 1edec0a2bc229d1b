import pytest

from longweave.checks import CHECKS, checks_for, register_check, run_checks
from longweave.contracts import Turn
from longweave.llm.tokens import estimate_tokens
from longweave.paradigms.conversation.checks import token_window, turn_structure
from longweave.registry import RegistryError
from longweave.validator.checks import loop_detection, truncation
from longweave.validator.service import regeneration_scope
from support.drafts import conversation_draft

SPEC = {"segments": 2, "turns_per_segment": 2, "target_tokens": 400, "length_tolerance": 0.5}
# A clean conversation: real prose, about 25 words a turn.
EXCHANGES = [
    "The invoice from March was charged twice to the business account. I only noticed it "
    "this morning when I checked the statement for the bakery.",
    "Please send the statement page and the supplier's invoice number. With both documents I "
    "can see whether the two debits come from the same mandate or from two different ones.",
    "I have attached both now. The supplier told me on the phone that their billing system "
    "ran the batch twice by mistake last week.",
    "We opened a dispute, and the refund window is eight weeks long, so you are well within "
    "it. I will mark the second debit as unauthorised today.",
    "That is a relief. The supplier also confirmed the duplicate by email this morning, so I "
    "can forward that message to you if it helps the case.",
    "Yes, please forward it. Your bank will credit the amount provisionally within five days, "
    "and the credit becomes final once the supplier's bank accepts the return.",
    "Could the same thing happen with the April direct debit as well? I would rather not "
    "spend another morning chasing the same mistake next month.",
    "We can set a limit on that mandate so it cannot exceed the usual amount. Any debit above "
    "the limit is refused, and you receive a message when that happens.",
]


def clean_turns():
    turns = [Turn(role="system", content="You are a bank clerk.")]
    for i, text in enumerate(EXCHANGES):
        turns.append(Turn(role="user" if i % 2 == 0 else "assistant", content=text))
    return turns


def draft(turns=None, finish=("stop", "stop"), **spec):
    return conversation_draft(turns=turns or clean_turns(), spec={**SPEC, **spec},
                 finish_reasons=list(finish))


def test_clean_draft_passes_every_conversation_check():
    results = run_checks("conversation", draft())
    assert [r.name for r in results if not r.passed] == []
    assert {r.name for r in results} == {
        "turn_structure", "token_window", "truncation", "loop_detection", "near_duplicate",
        "pii_policy", "language", "json_parseable", "json_schema", "required_fields",
        "constraint_layers", "alpha_words", "word_length", "symbol_ratio", "non_word_tokens",
        "code_in_prose", "stop_words", "compression_ratio", "repeated_turn",
        "line_punctuation"}


def test_turn_structure_fails_on_wrong_order_and_names_the_segment():
    turns = clean_turns()
    turns[5] = Turn(role="assistant", content="out of order")  # dialogue turn 5 → segment 1
    result = turn_structure(draft(turns))
    assert not result.passed and "expected user" in result.reason
    assert result.segment_indexes == [1]


def test_turn_structure_fails_on_missing_turns_and_empty_turns():
    assert "expected 8" in turn_structure(draft(clean_turns()[:-2])).reason
    turns = clean_turns()
    turns[2] = Turn(role="assistant", content="   ")
    assert "empty" in turn_structure(draft(turns)).reason


def test_token_window_passes_inside_and_fails_outside():
    assert token_window(draft()).passed
    short = token_window(draft(target_tokens=2000))
    assert not short.passed and short.reason.startswith("too short")
    long = token_window(draft(target_tokens=100, length_tolerance=0.1))
    assert not long.passed and long.reason.startswith("too long")
    assert short.segment_indexes == []  # a length problem is the whole record's


def test_truncation_names_the_cut_segments():
    assert truncation(draft()).passed
    result = truncation(draft(finish=("stop", "length")))
    assert not result.passed and result.segment_indexes == [1]


def test_loop_detection_catches_repeated_phrases_sentences_and_turns():
    assert loop_detection(draft()).passed
    turns = clean_turns()
    turns[4] = Turn(role="assistant", content="kenya kenya kenya kenya kenya " * 4)
    phrase = loop_detection(draft(turns))
    assert not phrase.passed and "repeats" in phrase.reason and phrase.segment_indexes == [0]
    turns = clean_turns()
    turns[3] = Turn(role="user", content="I need help now. " * 3)
    assert "sentence" in loop_detection(draft(turns)).reason
    turns = clean_turns()
    turns[7] = turns[3]  # a later user turn copies an earlier one
    verbatim = loop_detection(draft(turns))
    assert "repeats turn 3 verbatim" in verbatim.reason and verbatim.segment_indexes == [1]


def test_loop_detection_leaves_quotations_out():
    facts = [f"The {name} depot received {n} crates of lamp oil this winter."
             for name, n in (("Alder", 12), ("Birch", 40), ("Cedar", 12), ("Dunmore", 12))]
    quoted = " ".join(f'One passage says "{f}"' for f in facts) + " So Birch is the odd one."
    turns = clean_turns()
    turns[4] = Turn(role="assistant", content=quoted)
    assert loop_detection(draft(turns)).passed
    turns[4] = Turn(role="assistant", content=" ".join(facts))  # the same words, unquoted
    assert not loop_detection(draft(turns)).passed


def test_registry_rejects_a_second_check_with_the_same_name():
    with pytest.raises(RegistryError, match="already registered"):
        register_check("truncation", ("conversation",))(lambda d: None)


def test_a_registered_check_runs_for_its_paradigm_only():
    @register_check("always_fails_for_test", paradigms=("test-paradigm",))
    def always_fails(d):
        from longweave.checks import failed

        return failed("always_fails_for_test", "planted")

    try:
        mine = [c.name for c in checks_for("test-paradigm")]
        assert "always_fails_for_test" in mine and "turn_structure" not in mine
        assert "truncation" in mine  # registered for every paradigm
        assert "always_fails_for_test" not in [c.name for c in checks_for("conversation")]
    finally:
        CHECKS.unregister("always_fails_for_test")


def test_regeneration_scope_is_the_segments_only_when_every_failure_names_some():
    cut = truncation(draft(finish=("length", "stop")))
    assert regeneration_scope([cut]) == [0]
    assert regeneration_scope([cut, token_window(draft(target_tokens=5000))]) == []


def test_token_estimate_is_about_four_characters_per_token():
    assert estimate_tokens("x" * 400) == 100
