"""The instruction registry and its checkers: IFEval's families under IFEval's ids, typed
parameters, conflicts that keep incompatible pairs apart, and checkers that agree with
planted responses (built to follow or to break drawn parameters) in strict and loose mode,
and with hand-written cases of IFEval's definitions."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from longweave.instructions import (
    INSTRUCTIONS,
    DrawContext,
    Instruction,
    conflict,
    describe,
    draw_instructions,
    parse_instructions,
    verify,
)
from support.instruction_responses import BUILDERS, PROMPT, SECTIONS, TOPIC, planted

CTX = DrawContext(prompt=PROMPT, topic_words=TOPIC, sections=SECTIONS)
NAMES = sorted(INSTRUCTIONS)
IFEVAL_FAMILIES = {"keywords", "language", "length_constraints", "detectable_content",
                   "detectable_format", "combination", "startend", "change_case",
                   "punctuation"}


def drawn(name: str, seed: int) -> Instruction:
    kind = INSTRUCTIONS[name]
    return Instruction(name, kind.draw(random.Random(seed), CTX).model_dump(mode="json"))


def test_the_registry_covers_ifevals_families_and_adds_long_context_types():
    assert len(NAMES) >= 25
    ifeval = {n for n in NAMES if INSTRUCTIONS[n].ifeval_id}
    assert len(ifeval) == 25 and {n.split(":")[0] for n in ifeval} == IFEVAL_FAMILIES
    assert all(INSTRUCTIONS[n].ifeval_id == n for n in ifeval)  # stored under IFEval's id
    assert {n for n in NAMES if n.startswith("longweave:")} >= {
        "longweave:cite_section", "longweave:table_rows", "longweave:token_budget"}
    assert set(BUILDERS) == set(NAMES)  # every type has planted responses


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", range(5))
def test_checkers_agree_with_planted_responses_in_both_modes(name, seed):
    instruction = drawn(name, seed)
    following = verify(instruction, planted(name, instruction.params, seed, follow=True))
    assert following.strict and following.loose, following.reason
    breaking = verify(instruction, planted(name, instruction.params, seed, follow=False))
    assert not breaking.strict and not breaking.loose
    assert breaking.reason  # says why


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=20, derandomize=True, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10**6))
def test_any_drawn_parameters_are_followed_by_a_built_response_and_not_by_a_broken_one(
        name, seed):
    instruction = drawn(name, seed)
    assert verify(instruction, planted(name, instruction.params, seed, True)).strict
    assert not verify(instruction, planted(name, instruction.params, seed, False)).loose


# IFEval's definitions on hand-written responses: (type, params, response, strict, loose).
CASES = [
    ("detectable_format:json_format", {}, '```json\n{"a": 1}\n```', True, True),
    ("detectable_format:json_format", {}, 'Sure, here it is:\n{"a": 1}', False, True),
    ("detectable_format:constrained_response", {}, "My answer is *no*. It is late.",
     False, True),
    ("startend:end_checker", {"end_phrase": "Any other questions?"},
     "We fixed it. Any other questions?\n\n---", False, True),
    ("startend:end_checker", {"end_phrase": "Any other questions?"},
     '"We fixed it. any other questions?"', True, True),
    ("startend:quotation", {}, '  "quoted"  ', True, True),
    ("detectable_format:title", {}, "<<>> no title", False, False),
    ("detectable_format:title", {}, "<<Plan>>\nbody", True, True),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 2}, "a\n***\nb", True, True),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 2}, "a\n***\n***\nb",
     False, False),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 2}, "***\na\n***\nb\n***",
     True, True),
    ("length_constraints:nth_paragraph_first_word",
     {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "then"},
     "first part.\n\n\"Then, the rest.", True, True),
    ("detectable_format:number_bullet_lists", {"num_bullets": 2},
     "* one\n- two\n** bold is not a bullet", True, True),
    ("detectable_format:number_highlighted_sections", {"num_highlights": 2},
     "*one* and **two** but ** ** is empty", True, True),
    ("detectable_format:multiple_sections", {"section_spliter": "SECTION", "num_sections": 2},
     "SECTION 1\nintro\nSECTION 2\nbody", True, True),
    ("detectable_content:postscript", {"postscript_marker": "P.P.S"},
     "body\np.p.s. see you", True, True),
    ("detectable_content:postscript", {"postscript_marker": "P.S."}, "body\nPS see you",
     False, False),
    ("keywords:frequency", {"keyword": "plan", "frequency": 2, "relation": "less than"},
     "The plan and the planner.", False, False),
    ("keywords:forbidden_words", {"forbidden_words": ["plan"]}, "The planner.", True, True),
    ("keywords:letter_frequency", {"letter": "z", "let_frequency": 2, "let_relation": "at least"},
     "Zigzag.", True, True),
    ("combination:two_responses", {}, "one\n******\ntwo", True, True),
    ("combination:two_responses", {}, "one\n******\n\n******\ntwo", False, False),
    ("combination:repeat_prompt", {"prompt_to_repeat": "Write a poem."},
     "write a poem. Roses are red.", True, True),
    ("change_case:english_lowercase", {}, "all lower case here", True, True),
    ("change_case:english_capital", {}, "ALL CAPS HERE", True, True),
    ("change_case:capital_word_frequency",
     {"capital_frequency": 2, "capital_relation": "less than"}, "ONE two THREE", False, False),
    ("punctuation:no_comma", {}, "no commas here", True, True),
    ("length_constraints:number_words", {"num_words": 3, "relation": "less than"},
     "two words", True, True),
    ("length_constraints:number_sentences", {"num_sentences": 2, "relation": "at least"},
     "One. Two!", True, True),
    ("language:response_language", {"language": "de"},
     "Ich denke, dass das Projekt fertig ist und wir es in der Woche mit den Notizen "
     "vorstellen können, damit sich alle auf die nächsten Schritte einstellen.", True, True),
    ("longweave:table_rows", {"num_rows": 1}, "| a | b |\n| :--- | ---: |\n| 1 | 2 |",
     True, True),
    ("longweave:table_rows", {"num_rows": 1}, "| a | b |\n| 1 | 2 |", False, False),
    ("longweave:choose_from", {"options": ["Agree", "Disagree"]}, '"Disagree."', True, True),
    ("longweave:cite_section", {"section": "Chapter II. The Search"},
     "As  chapter ii.  the search shows, yes.", True, True),
]


@pytest.mark.parametrize(("name", "params", "response", "strict", "loose"), CASES)
def test_checkers_follow_ifevals_definitions(name, params, response, strict, loose):
    verdict = verify(Instruction(name, params), response)
    assert (verdict.strict, verdict.loose) == (strict, loose)


def test_drawn_instructions_never_conflict_and_repeat_for_a_seed():
    for seed in range(300):
        k = 1 + seed % 4
        chosen = draw_instructions(random.Random(seed), k, CTX)
        names = [i.name for i in chosen]
        assert len(names) == k
        assert not any(conflict(a, b) for i, a in enumerate(names) for b in names[i + 1:])
        assert chosen == draw_instructions(random.Random(seed), k, CTX)
        assert all(describe(i) for i in chosen)


def test_types_that_need_a_document_or_a_prompt_are_drawn_only_with_one():
    bare = DrawContext(topic_words=TOPIC)
    drawn_names = {i.name for seed in range(300)
                   for i in draw_instructions(random.Random(seed), 3, bare)}
    assert "longweave:cite_section" not in drawn_names
    assert "combination:repeat_prompt" not in drawn_names


def test_conflicts_name_registered_types_and_a_type_conflicts_with_itself():
    for name in NAMES:
        assert INSTRUCTIONS[name].conflicts <= set(NAMES), name
        assert conflict(name, name)
    assert conflict("change_case:english_capital", "change_case:english_lowercase")
    assert conflict("detectable_format:json_format", "combination:two_responses")


def test_stored_instructions_are_parsed_with_clear_errors():
    ok = parse_instructions([{"name": "punctuation:no_comma", "params": {}}])
    assert ok == [Instruction("punctuation:no_comma", {})]
    with pytest.raises(ValueError, match="length_constraints:number_words"):
        parse_instructions([{"name": "length_constraints:number_words",
                             "params": {"num_words": 0, "relation": "at least"}}])
    with pytest.raises(LookupError, match="unknown instruction 'poetry:rhyme'"):
        parse_instructions([{"name": "poetry:rhyme"}])
