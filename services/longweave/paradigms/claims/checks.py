"""The claims paradigm's rule checks: the FALSE claim differs from the TRUE one minimally
and in one checkable detail, the cited chapters exist, a book-level claim cites two or
more, and the verifier's verdicts agree with the labels. A failure redoes the claim unit
(and its verification); the outlines stand."""

from __future__ import annotations

from longweave.checks import CheckInput, failed, passed, register_check
from longweave.contracts import CheckResult
from longweave.paradigms.claims.logic import pair_difference
from longweave.paradigms.claims.params import ClaimsParams

Draft = CheckInput[ClaimsParams]
PARADIGM = ("claims",)
# At most this many separate changed stretches, and this share of the claim's words changed:
# one detail may take two stretches (a name and its pronoun), not a rewrite.
MAX_CHANGED_SPANS = 2
MAX_CHANGED_SHARE = 0.4


def _claim_units(draft: Draft) -> list[int]:
    unit = draft.content["claim_unit"]
    return [unit, unit + 1]  # the claim, and its verification, which read it


@register_check("claim_pair_minimal", paradigms=PARADIGM)
def claim_pair_minimal(draft: Draft) -> CheckResult:
    """The TRUE and FALSE claims differ, in at most two stretches and at most 40% of their
    words, and not only by a negation."""
    name = "claim_pair_minimal"
    content = draft.content
    diff = pair_difference(content["true_claim"], content["false_claim"])
    if diff["spans"] == 0:
        return failed(name, "the FALSE claim is the TRUE claim: change one checkable "
                      "detail of it", _claim_units(draft))
    if diff["negation_only"]:
        return failed(name, "the FALSE claim only negates the TRUE one: change a checkable "
                      "detail (a name, number, place, order or actor) instead",
                      _claim_units(draft))
    share = min(1.0, diff["changed_words"] / max(1, diff["words"]))
    if diff["spans"] > MAX_CHANGED_SPANS or share > MAX_CHANGED_SHARE:
        return failed(name, f"the FALSE claim rewrites the TRUE one ({diff['spans']} changed "
                      f"stretches, {share:.0%} of the words): keep it the same but for one "
                      "checkable detail", _claim_units(draft), spans=diff["spans"],
                      changed_share=round(share, 3))
    return passed(name, spans=diff["spans"], changed_share=round(share, 3))


@register_check("cited_chapters_exist", paradigms=PARADIGM)
def cited_chapters_exist(draft: Draft) -> CheckResult:
    """Every chapter the pair cites is a chapter of the book, and the chapters it was asked
    to be about are among them."""
    name = "cited_chapters_exist"
    content = draft.content
    numbers = [c["number"] for c in content["chapters"]]
    cited = content["chapters_cited"]
    unknown = [n for n in cited if n not in numbers]
    if unknown:
        return failed(name, f"chapters {unknown} are cited, but the book has chapters "
                      f"{numbers[0]}-{numbers[-1]}", _claim_units(draft))
    missing = [n for n in content["target"] if n not in cited]
    if missing:
        return failed(name, f"the claim was to rest on chapters {content['target']}, but "
                      f"it does not cite {missing}", _claim_units(draft))
    return passed(name, chapters=len(cited))


@register_check("book_claim_spans_chapters", paradigms=PARADIGM)
def book_claim_spans_chapters(draft: Draft) -> CheckResult:
    """A book-level claim cites two chapters or more (a chapter-level one: passed)."""
    name = "book_claim_spans_chapters"
    content = draft.content
    if content["scope"] == "book" and len(content["chapters_cited"]) < 2:
        return failed(name, "a book-level claim must combine events of two chapters or "
                      f"more; this one cites {content['chapters_cited']}",
                      _claim_units(draft))
    return passed(name)


@register_check("claims_verified", paradigms=PARADIGM)
def claims_verified(draft: Draft) -> CheckResult:
    """The verifier, reading the cited chapters' outlines (or text), found the TRUE claim
    supported and the FALSE claim contradicted."""
    name = "claims_verified"
    verification = draft.content["verification"]
    wrong = []
    if verification["true_claim"] != "supported":
        wrong.append(f"the TRUE claim was judged {verification['true_claim']}")
    if verification["false_claim"] != "contradicted":
        wrong.append(f"the FALSE claim was judged {verification['false_claim']}")
    if wrong:
        return failed(name, f"verified against the cited chapters, {' and '.join(wrong)} "
                      f"({verification['explanation'][:200]})", _claim_units(draft))
    return passed(name)
