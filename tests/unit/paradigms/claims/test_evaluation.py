"""Claim-verification evaluation without a server: verdicts read from replies written the
ways models write them, items from sft export rows, accuracy and pair accuracy."""

import asyncio

import pytest

from longweave.paradigms.claims.evaluation import (
    ClaimItem,
    evaluate,
    items_from_rows,
    parse_verdict,
    scores,
)


@pytest.mark.parametrize(("reply", "verdict"), [
    ("Chapter 2 shows it.\n\nAnswer: True", True),
    ("Chapter 2 shows it.\n\n**Answer:** False", False),
    ("answer - FALSE.", False),
    ("The claim is true at first sight, but chapter 4 contradicts it. Answer: False", False),
    ("Reasoning... so the claim is False.", False),
    ("<think>it is true</think>\nTrue", True),
    ("I cannot tell from the text.", None),
    ("", None),
])
def test_the_verdict_is_the_last_one_a_reply_states(reply, verdict):
    assert parse_verdict(reply) is verdict


def test_items_come_from_sft_rows_and_refuse_other_rows():
    rows = [{"id": "run-1-000000:true", "messages": [
                {"role": "user", "content": "book + claim A"},
                {"role": "assistant", "content": "why\n\nAnswer: True"}]},
            {"id": "run-1-000000:false", "messages": [
                {"role": "user", "content": "book + claim B"},
                {"role": "assistant", "content": "why\n\nAnswer: False"}]}]
    items = items_from_rows(rows)
    assert [(i.pair_id, i.label) for i in items] == [("run-1-000000", True),
                                                     ("run-1-000000", False)]
    assert items[0].messages == [{"role": "user", "content": "book + claim A"}]
    with pytest.raises(ValueError, match="row 1 is not a claims sft row"):
        items_from_rows([{"prompt": "x"}])
    with pytest.raises(ValueError, match="states no verdict"):
        items_from_rows([{"id": "a", "messages": [{"role": "user", "content": "q"},
                                                  {"role": "assistant", "content": "?"}]}])


def pairs(n):
    return [ClaimItem(f"p{k}", label, []) for k in range(n) for label in (True, False)]


def test_pair_accuracy_counts_a_pair_only_when_both_claims_are_right():
    items = pairs(3)
    verdicts = [True, False,   # both right
                True, True,    # one right
                None, False]   # no verdict: wrong
    found = scores(items, verdicts)
    assert (found["correct"], found["accuracy"]) == (4, 4 / 6)
    assert (found["pairs_correct"], found["pair_accuracy"]) == (1, 1 / 3)
    assert found["unparsed"] == 1
    always_true = scores(items, [True] * 6)
    assert always_true["accuracy"] == 0.5 and always_true["pair_accuracy"] == 0.0


def test_evaluate_asks_every_item_at_most_concurrency_at_once():
    items = pairs(5)
    seen, running, peak = [], 0, 0

    async def chat(messages):
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        seen.append(messages)
        return "Answer: True"

    progress = []
    found, verdicts = asyncio.run(evaluate(items, chat, 2, lambda d, t: progress.append(d)))
    assert len(seen) == 10 and peak == 2 and progress == list(range(1, 11))
    assert verdicts == [True] * 10 and found["accuracy"] == 0.5
