"""Planning a document_qa sample over real books: context windows, passages spread over
the context, distant passages for two-passage tasks, and quotes located in the context."""

import pytest

from longweave.corpus.passages import position_of
from longweave.llm.tokens import CHARS_PER_TOKEN, estimate_tokens
from support.documents import corpus_entries, document_qa, sample_for

ENTRIES, TEXTS = corpus_entries()
PARAMS = {"context_tokens": 3000, "pairs": 6, "min_hop_tokens": 400}


def test_a_sample_plan_is_deterministic_for_its_seed():
    params = document_qa.parse_params(PARAMS)
    assert document_qa.plan_sample(params, ENTRIES, 3, 7) == \
        document_qa.plan_sample(params, ENTRIES, 3, 7)
    assert document_qa.plan_sample(params, ENTRIES, 3, 7) != \
        document_qa.plan_sample(params, ENTRIES, 3, 8)


@pytest.mark.parametrize("index", range(6))
def test_the_context_has_the_length_asked_for_and_the_passages_are_its_text(index):
    sample, context = sample_for(PARAMS, ENTRIES, TEXTS, index)
    assert 0.8 * 3000 <= estimate_tokens(context) <= 1.2 * 3000
    main = sample.material["main"]
    for unit in sample.material["units"]:
        for p in unit["passages"]:
            assert context[p["start"]:p["end"]] == p["text"] and p["text"].strip()
            assert p["text"] in TEXTS[main]
        if unit["task_type"] in ("multi_hop", "comparison", "timeline"):
            first, second = unit["passages"]
            assert second["start"] - first["end"] >= 400 * CHARS_PER_TOKEN


def test_passages_are_spread_over_the_beginning_middle_and_end():
    for index in range(4):
        sample, context = sample_for(PARAMS, ENTRIES, TEXTS, index)
        units = sample.material["units"]
        # The recorded position is where the first passage really fell.
        assert all(u["position"] == position_of(u["passages"][u["primary"]]["start"],
                                                len(context)) for u in units)
        assert {u["position"] for u in units} == {"beginning", "middle", "end"}


def test_distractor_documents_join_the_context_under_their_titles():
    sample, context = sample_for({**PARAMS, "distractors": 1}, ENTRIES, TEXTS, 1)
    roles = [(d["role"], d["title"]) for d in sample.material["documents"]]
    assert sorted(r for r, _ in roles) == ["distractor", "main"]
    for _, title in roles:
        assert f"## {title}\n\n" in context
    assert all(d["licence"] for d in sample.material["documents"])
