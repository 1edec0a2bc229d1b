"""The reasoning checks on records over real books: clean traces pass; a wrong answer, an
answer the trace does not end in, an uncited fact, a citation that is not in the passages
or not in the trace, and a free-form question resting on one passage are caught (and the
feedback never gives the key away)."""

import copy

import pytest

import longweave.validator.checks  # noqa: F401 - the checks every paradigm shares run too
from longweave.checks import CheckInput, run_checks
from support.documents import corpus_entries
from support.reasoning import assembled, clean_trace, reasoning, reasoning_sample

ENTRIES, TEXTS = corpus_entries()
PROGRAMMATIC = [reasoning_sample({"context_tokens": 3000}, ENTRIES, TEXTS, i, seed=3)
                for i in range(6)]
FREE_FORM = [reasoning_sample({"mode": "free_form", "context_tokens": 3000,
                               "min_hop_tokens": 300}, ENTRIES, TEXTS, i, seed=3)
             for i in range(4)]


def failures(sample, content):
    params = reasoning.params_of(sample)
    draft = CheckInput(parts=reasoning.parts(content, params), spec=sample.spec,
                       params=params, content=content)
    return {r.name: r for r in run_checks("reasoning", draft) if not r.passed}


@pytest.mark.parametrize("sample, context", PROGRAMMATIC + FREE_FORM)
def test_clean_traces_pass_every_check(sample, context):
    assert failures(sample, assembled(sample, context)) == {}


def spoiled(sample, defect):
    reply = copy.deepcopy(clean_trace(sample))
    key = sample.material.get("answer_key")
    if defect == "wrong_answer":
        reply["answer"] = "Nobody knows" if not key or not key[0].isdigit() else "1"
    elif defect == "trace_ends_elsewhere":
        reply["reasoning"] += " Then again, the passages also mention many other things."
    elif defect == "uncited_fact":
        dropped = reply["citations"].pop()
        reply["reasoning"] = reply["reasoning"].replace(f'"{dropped}"', "")
    elif defect == "invented_citation":
        quote = "The Time Traveller sold his machine to a circus in Paris."
        reply["citations"].append(quote)
        reply["reasoning"] = f'"{quote}" ' + reply["reasoning"]
    elif defect == "citation_not_in_trace":
        reply["reasoning"] = reply["reasoning"].replace(reply["citations"][0], "that")
    elif defect == "one_passage":
        reply["citations"] = reply["citations"][:1]
    return reply


@pytest.mark.parametrize("defect, check", [
    ("wrong_answer", "answer_matches_key"), ("trace_ends_elsewhere", "answer_matches_key"),
    ("uncited_fact", "citations_in_context"), ("invented_citation", "citations_in_context"),
    ("citation_not_in_trace", "citations_in_context")])
@pytest.mark.parametrize("n", range(len(PROGRAMMATIC)))
def test_planted_programmatic_defects_are_caught(n, defect, check):
    sample, context = PROGRAMMATIC[n]
    found = failures(sample, assembled(sample, context, spoiled(sample, defect)))
    assert set(found) == {check}
    assert found[check].segment_indexes == [0]
    assert sample.material["answer_key"] not in found[check].reason.split("'")[-1]


@pytest.mark.parametrize("defect", ["one_passage", "invented_citation",
                                    "citation_not_in_trace"])
@pytest.mark.parametrize("n", range(len(FREE_FORM)))
def test_planted_free_form_defects_are_caught(n, defect):
    sample, context = FREE_FORM[n]
    found = failures(sample, assembled(sample, context, spoiled(sample, defect)))
    assert set(found) == {"citations_in_context"}


def test_a_wrong_answers_feedback_does_not_give_the_key_away():
    sample, context = PROGRAMMATIC[0]
    found = failures(sample, assembled(sample, context, spoiled(sample, "wrong_answer")))
    assert sample.material["answer_key"] not in found["answer_matches_key"].reason
