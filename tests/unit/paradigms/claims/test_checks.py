"""The claims checks on records of a real book: clean pairs pass every check (the shared
ones too); a FALSE claim equal to the TRUE one, one that only negates it, or one that
rewrites it, a chapter the book lacks, a target chapter left uncited, a book-level claim
resting on one chapter and a verifier that disagrees are each caught, and each failure
redoes the claim and its verification, not the outlines."""

import copy

import pytest

import longweave.validator.checks  # noqa: F401 - the checks every paradigm shares run too
from longweave.checks import CheckInput, run_checks
from support.claims import claims, claims_record, claims_sample

CHAPTER = claims_sample({"book_level_share": 0})
BOOK_LEVEL = claims_sample({"book_level_share": 1})
NAIVE = claims_sample({"strategy": "naive"})


def failures(sample, content):
    params = claims.params_of(sample)
    draft = CheckInput(parts=claims.parts(content, params), spec=sample.spec,
                       params=params, content=content)
    return {r.name: r for r in run_checks("claims", draft) if not r.passed}


@pytest.mark.parametrize("sample", [CHAPTER, BOOK_LEVEL, NAIVE])
def test_clean_pairs_pass_every_check(sample):
    assert failures(sample, claims_record(sample)) == {}


TRUE = "Utterson walks with Enfield past the door of Hyde's house."


@pytest.mark.parametrize(("sample", "change", "check", "reason"), [
    (CHAPTER, {"false_claim": TRUE}, "claim_pair_minimal", "is the TRUE claim"),
    (CHAPTER, {"false_claim": "Utterson never walks with Enfield past the door of Hyde's "
                              "house."}, "claim_pair_minimal", "only negates"),
    (CHAPTER, {"false_claim": "Lanyon dies after seeing what Jekyll becomes in his "
                              "study."}, "claim_pair_minimal", "rewrites"),
    (CHAPTER, {"false_claim": "Poole walks with Enfield past the window of Jekyll's "
                              "house."}, "claim_pair_minimal", "3 changed stretches"),
    (CHAPTER, {"chapters_cited": [11]}, "cited_chapters_exist", "chapters 1-10"),
    (CHAPTER, {"chapters_cited": []}, "cited_chapters_exist", "does not cite"),
    (BOOK_LEVEL, {"chapters_cited": BOOK_LEVEL.material["target"][:1],
                  "target": BOOK_LEVEL.material["target"][:1]},
     "book_claim_spans_chapters", "two chapters or more"),
    (CHAPTER, {"verification": {"true_claim": "not_enough_information",
                                "false_claim": "contradicted", "explanation": "vague"}},
     "claims_verified", "TRUE claim was judged not_enough_information"),
    (CHAPTER, {"verification": {"true_claim": "supported", "false_claim": "supported",
                                "explanation": "both hold"}},
     "claims_verified", "FALSE claim was judged supported"),
])
def test_a_defect_fails_its_check_and_redoes_the_claim(sample, change, check, reason):
    content = {**copy.deepcopy(claims_record(sample)), **change}
    found = failures(sample, content)
    # (A FALSE claim equal to the TRUE one also repeats a part verbatim: a loop.)
    expected = {check, "loop_detection"} if change.get("false_claim") == TRUE else {check}
    assert set(found) == expected
    assert reason in found[check].reason
    claim_unit = content["claim_unit"]
    assert found[check].segment_indexes == [claim_unit, claim_unit + 1]
    assert claim_unit == sample.spec.units - 2
