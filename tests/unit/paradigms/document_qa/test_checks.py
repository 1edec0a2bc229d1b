"""The document checks on records over real books: planted unfaithful quotes, fabricated
offsets, copied passages, fake unanswerables and single-passage multi-hops are all caught,
and clean pairs are never rejected."""

import copy

import pytest

import longweave.validator.checks  # noqa: F401 - the checks every paradigm shares run too
from longweave.checks import CheckInput, run_checks
from support.documents import corpus_entries, document_qa, record_for, sample_for

ENTRIES, TEXTS = corpus_entries()
PARAMS = {"context_tokens": 3000, "pairs": 6, "min_hop_tokens": 400}
SAMPLES = [sample_for(PARAMS, ENTRIES, TEXTS, i, seed=11) for i in range(8)]


def failures(sample, content):
    params = document_qa.params_of(sample)
    draft = CheckInput(parts=document_qa.parts(content, params), spec=sample.spec,
                       params=params, content=content)
    return {r.name: r for r in run_checks("document_qa", draft) if not r.passed}


@pytest.mark.parametrize("n", range(len(SAMPLES)))
def test_clean_records_pass_every_check(n):
    sample, context = SAMPLES[n]
    assert failures(sample, record_for(sample, context)) == {}


def planted(sample, context, defect):
    """The clean record with one pair spoiled by `defect`; returns (content, pair index)."""
    content = record_for(sample, context)
    pairs = content["pairs"]
    kinds = {p["task_type"] for p in pairs}
    if defect == "unfaithful_quote":
        i = next(i for i, p in enumerate(pairs) if p["evidence"])
        quote = "The Time Traveller sold his machine to a circus in Paris."
        pairs[i]["evidence"][0].update(quote=quote, start=None, end=None, similarity=0.0)
    elif defect == "fabricated_offsets":
        i = next(i for i, p in enumerate(pairs) if p["evidence"])
        e = pairs[i]["evidence"][0]
        e["start"], e["end"] = e["start"] + 700, e["end"] + 700
    elif defect == "copied_passage":
        i = next(i for i, p in enumerate(pairs) if p["passages"])
        start, end = pairs[i]["passages"][0]
        pairs[i]["answer"] = context[start:end]
    elif defect == "fake_unanswerable":
        i = next((i for i, p in enumerate(pairs) if p["unanswerable"]), None)
        if i is None:
            pytest.skip(f"no unanswerable pair among {kinds}")
        start, end = pairs[i]["passages"][0]
        words = [w for w in context[start:end].split() if len(w) > 5][:8]
        pairs[i]["question"] = "What about " + " ".join(words) + "?"
    elif defect == "one_side_comparison":
        i = next((i for i, p in enumerate(pairs) if p["task_type"] == "comparison"), None)
        if i is None:
            pytest.skip(f"no comparison pair among {kinds}")
        pairs[i]["evidence"] = pairs[i]["evidence"][:1]
    elif defect == "single_passage_hop":
        i = next((i for i, p in enumerate(pairs) if p["task_type"] == "multi_hop"), None)
        if i is None:
            pytest.skip(f"no multi-hop pair among {kinds}")
        pairs[i]["evidence"] = pairs[i]["evidence"][:1] * 2
    return content, i


DEFECTS = {"unfaithful_quote": "evidence_in_context", "fabricated_offsets": "evidence_in_context",
           "copied_passage": "answer_not_copied", "fake_unanswerable": "unanswerable_unsupported",
           "single_passage_hop": "multi_hop_distance",
           "one_side_comparison": "multi_hop_distance"}


@pytest.mark.parametrize("defect", DEFECTS)
@pytest.mark.parametrize("n", range(len(SAMPLES)))
def test_planted_defects_are_caught_and_name_their_pair(defect, n):
    sample, context = SAMPLES[n]
    content, i = planted(sample, context, defect)
    found = failures(sample, copy.deepcopy(content))
    assert DEFECTS[defect] in found, found
    assert found[DEFECTS[defect]].segment_indexes == [i]


def test_a_context_of_the_wrong_length_is_refused():
    sample, context = SAMPLES[0]
    content = record_for(sample, context)
    content["context"] = context[: len(context) // 2]
    assert "context_length" in failures(sample, content)
