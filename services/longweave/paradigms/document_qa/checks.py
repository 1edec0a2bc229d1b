"""The document-grounded paradigm's rule checks: evidence found in the context where the
record says, multi-hop answers spanning distant passages, answers that do not copy a
passage, unanswerable questions with no support in the context, and the context's length."""

from __future__ import annotations

import re
from typing import Any

from longweave.checks import CheckInput, failed, passed, register_check
from longweave.contracts import CheckResult
from longweave.corpus.passages import QUOTE_SIMILARITY, similarity
from longweave.llm.tokens import CHARS_PER_TOKEN, estimate_tokens
from longweave.paradigms.document_qa.logic import longest_copied_run
from longweave.paradigms.document_qa.params import DocumentQAParams

Draft = CheckInput[DocumentQAParams]

PARADIGM = ("document_qa",)
# An answer copies a passage when a verbatim run of it covers this much of the passage
# (and is at least COPIED_MIN_CHARS: a phrase is not a passage), or is COPIED_CHARS long
# whatever the passage.
COPIED_SHARE = 0.6
COPIED_MIN_CHARS = 100
COPIED_CHARS = 400
# An "unanswerable" question is suspect when this share of its content words occurs
# within one stretch of the context this long.
SUPPORT_SHARE = 0.75
SUPPORT_WINDOW_CHARS = 1200
MIN_CONTENT_WORDS = 3
_WORD = re.compile(r"[a-z][a-z'-]{3,}")
STOPWORDS = frozenset(
    "about after again also been before being between both could does doing down during "
    "each from further have having here into just more most much must only other over same "
    "should some such than that their them then there these they this those through under "
    "until very were what when where which while whom whose will with would your says said "
    "document text passage mention mentioned according tell does".split())



def _pairs(draft: Draft) -> list[dict[str, Any]]:
    return list(draft.content.get("pairs", []))


@register_check("evidence_in_context", paradigms=PARADIGM)
def evidence_in_context(draft: Draft) -> CheckResult:
    """Every quote is in the context, at the offsets recorded, exactly or at ≥ 90%."""
    name = "evidence_in_context"
    context = draft.content.get("context", "")
    for n, pair in enumerate(_pairs(draft)):
        if not pair["evidence"] and not pair["unanswerable"]:
            return failed(name, f"pair {n + 1} cites no evidence: quote the sentences the "
                          "answer rests on", [n])
        for e in pair["evidence"]:
            if e.get("start") is None:
                return failed(name, f"pair {n + 1}: the quote {e['quote'][:80]!r} is not in "
                              "the passages; quote them word for word", [n])
            found = context[e["start"]:e["end"]]
            score = similarity(e["quote"], found)
            if score < QUOTE_SIMILARITY:
                return failed(name, f"pair {n + 1}: the context at {e['start']}-{e['end']} "
                              f"is not the quote {e['quote'][:80]!r} ({score:.2f})", [n],
                              similarity=score)
    return passed(name)


TWO_PASSAGE_TASKS = ("multi_hop", "comparison", "timeline")


@register_check("multi_hop_distance", paradigms=PARADIGM)
def multi_hop_distance(draft: Draft) -> CheckResult:
    """A pair that needs two passages quotes each of them, and a multi-hop pair's quotes
    are at least `min_hop_tokens` apart."""
    name = "multi_hop_distance"
    gap = draft.params.min_hop_tokens * CHARS_PER_TOKEN
    for n, pair in enumerate(_pairs(draft)):
        if pair["task_type"] not in TWO_PASSAGE_TASKS:
            continue
        starts = sorted(e["start"] for e in pair["evidence"] if e.get("start") is not None)
        uncited = [k + 1 for k, (s, e) in enumerate(pair.get("passages", []))
                   if not any(s <= at < e for at in starts)]
        if uncited:
            return failed(name, f"pair {n + 1} ({pair['task_type']}) quotes nothing from "
                          f"passage(s) {uncited}: quote each passage it combines", [n])
        if pair["task_type"] == "multi_hop" and (len(starts) < 2 or starts[-1] - starts[0] < gap):
            return failed(name, f"pair {n + 1} is multi-hop but its evidence does not span "
                          f"two passages at least {gap} characters apart: quote both", [n])
    return passed(name)


@register_check("answer_not_copied", paradigms=PARADIGM)
def answer_not_copied(draft: Draft) -> CheckResult:
    name = "answer_not_copied"
    context = draft.content.get("context", "")
    for n, pair in enumerate(_pairs(draft)):
        for start, end in pair.get("passages", []):
            passage = context[start:end]
            run = longest_copied_run(pair["answer"], passage)
            if run >= COPIED_CHARS or (run >= COPIED_MIN_CHARS
                                       and run >= COPIED_SHARE * len(passage)):
                return failed(name, f"pair {n + 1}'s answer copies {run} characters of its "
                              "passage: answer in your own words (quotes go in the evidence)",
                              [n], copied_chars=run)
    return passed(name)


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in STOPWORDS}


@register_check("unanswerable_unsupported", paradigms=PARADIGM)
def unanswerable_unsupported(draft: Draft) -> CheckResult:
    """A lexical first filter: an "unanswerable" question whose content words mostly occur
    together somewhere in the context may well be answered there."""
    name = "unanswerable_unsupported"
    context = draft.content.get("context", "").lower()
    step = SUPPORT_WINDOW_CHARS // 2
    windows: list[tuple[int, set[str]]] = []  # the context's words, once for every pair
    for n, pair in enumerate(_pairs(draft)):
        if not pair["unanswerable"]:
            continue
        words = _content_words(pair["question"])
        if len(words) < MIN_CONTENT_WORDS:
            continue
        windows = windows or [(start, _content_words(context[start:start + SUPPORT_WINDOW_CHARS]))
                              for start in range(0, max(1, len(context)), step)]
        for start, window in windows:
            share = len(words & window) / len(words)
            if share >= SUPPORT_SHARE:
                return failed(name, f"pair {n + 1} is meant to be unanswerable, but the "
                              f"context near character {start} has {share:.0%} of its words: "
                              "ask about something the document does not cover", [n])
    return passed(name)


@register_check("context_length", paradigms=PARADIGM)
def context_length(draft: Draft) -> CheckResult:
    name = "context_length"
    tokens = estimate_tokens(draft.content.get("context", ""))
    target = draft.params.context_tokens
    tolerance = draft.params.context_tolerance
    low, high = int(target * (1 - tolerance)), int(target * (1 + tolerance))
    if not low <= tokens <= high:
        return failed(name, f"the context has ~{tokens} tokens, outside {low}-{high}",
                      tokens=tokens, low=low, high=high)
    return passed(name, tokens=tokens, low=low, high=high)
