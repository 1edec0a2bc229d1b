from collections import Counter

import pytest

from longweave.export import (
    dataset_card,
    exporting_paradigm,
    parse_split,
    rejected_drafts,
    split_of,
)
from longweave.registry import RegistryError
from support.samples import make_draft

SYSTEM = {"role": "system", "content": "You are a clerk."}


def turns(*pairs):
    out = [SYSTEM]
    for user, assistant in pairs:
        out += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    return out


RECORD = {
    "_id": "run-1-000000", "sample_id": "run-1-000000", "run_id": "run-1",
    "paradigm": "conversation",
    "messages": turns(("hi", "hello"), ("bill?", "paid")),
    "models": {"generator": ["gen-model"], "judge": "judge-model"},
    "prompt_versions": {"segment": "conversation/segment.j2@v1+abc", "judge": "j@v1+def"},
    "scenario": {"domain": "finance", "geography": {"country": "France"}},
    "scores": {"coherence": {"score": 4, "rationale": "ok"}},
}


def test_rejected_drafts_are_offered_and_the_conversation_pairs_the_judges_only():
    messages = {"messages": [{"role": "user", "content": "hi"},
                             {"role": "assistant", "content": "hello"}]}
    judged = make_draft(messages, judgment={"passed": False},
                        rejected={"stage": "judge", "reasons": ["coherence: 2"]})
    checked = make_draft(messages, validation={"passed": False},
                         rejected={"stage": "validator", "reasons": ["turn_structure: x"]})
    accepted = make_draft(messages, judgment={"passed": True})
    assert rejected_drafts([judged, accepted, checked]) == [judged, checked]
    conversation = exporting_paradigm(RECORD, "dpo")
    assert conversation.dpo_row(RECORD, judged) is not None
    assert conversation.dpo_row(RECORD, checked) is None


def test_a_format_the_records_paradigm_lacks_is_refused_by_name():
    assert exporting_paradigm(RECORD, "dpo").name == "conversation"
    with pytest.raises(ValueError, match="unknown export format 'csv'"):
        exporting_paradigm(RECORD, "csv")
    with pytest.raises(RegistryError, match="unknown paradigm 'gone'"):
        exporting_paradigm({**RECORD, "paradigm": "gone"}, "sft")


def test_splits_are_parsed_checked_and_stable():
    assert parse_split("train=0.9,test=0.1") == {"train": 0.9, "test": 0.1}
    assert parse_split(None) == {}
    for bad in ("train=0.9", "train=0.5,test", "train=1.2,test=-0.2"):
        with pytest.raises(ValueError):
            parse_split(bad)
    shares = parse_split("train=0.8,test=0.2")
    ids = [f"run-1-{i:06d}" for i in range(2000)]
    assignment = [split_of(i, shares) for i in ids]
    assert assignment == [split_of(i, shares) for i in ids]
    assert 0.75 < Counter(assignment)["train"] / len(ids) < 0.85


def test_dataset_card_says_what_is_inside_and_how_it_was_made():
    run = {"_id": "run-1", "status": "complete", "accepted": 1,
           "request": {"paradigm": "conversation", "count": 1, "filters": {"domain": "finance"}},
           "usage": {"prompt_tokens": 10, "completion_tokens": 20, "calls": 3}}
    card = dataset_card(run, [RECORD], "sft", {"train": 1}, "0.1.0")
    for expected in ("`train.jsonl`: 1 rows", "gen-model (1)", "judge-model (1)",
                     "conversation/segment.j2@v1+abc", "{'domain': 'finance'}", "finance (1)",
                     "France (1)", "coherence 4.00", "10 prompt + 20 completion"):
        assert expected in card, expected


def test_dataset_card_opens_with_the_reports_headline_numbers():
    other = {**RECORD, "_id": "run-1-000001", "sample_id": "run-1-000001",
             "messages": turns(("hi", "hello"), ("bill?", "unpaid")),
             "scores": {"coherence": {"score": 2, "rationale": "meh"}}}
    run = {"_id": "run-1", "status": "complete", "requested": 4, "accepted": 2,
           "request": {"paradigm": "conversation", "count": 4},
           "usage": {"prompt_tokens": 300, "completion_tokens": 100, "calls": 6}}
    card = dataset_card(run, [RECORD, other], "sft", {"sft": 2}, "0.1.0")
    headline = card.split("## Headline")[1].split("## Files")[0]
    # What the model wrote (system messages left out): "hi hello bill paid" and
    # "hi hello bill unpaid": bigrams hi-hello, hello-bill, bill-paid, bill-unpaid of 6.
    for expected in ("Yield: 2 accepted / 4 requested (50.0%)", "Distinct-2 (distinct word "
                     "bigrams / all, over what the model wrote): 0.667",
                     "Mean judge scores: coherence 3.00", "Tokens per accepted record: 200",
                     "`longweave report run-1`"):
        assert expected in headline, expected
