"""The rule checks every paradigm shares: truncation, generation loops, near-duplicates,
personal data, language, and the verifiable constraint layers a sample was given (the
registry and `CheckInput`: longweave/checks.py)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from longweave.checks import CheckInput, failed, passed, register_check
from longweave.complexify.specs import check_layers
from longweave.contracts import CheckResult
from longweave.language import detect_language
from longweave.validator.minhash import DUPLICATE_JACCARD
from longweave.validator.policy import find_pii

Draft = CheckInput[Any]  # every paradigm's


@register_check("truncation")
def truncation(draft: Draft) -> CheckResult:
    cut = [i for i, reason in enumerate(draft.finish_reasons) if reason == "length"]
    if cut:
        return failed("truncation", f"segments {cut} were cut off at max_tokens "
                     "(finish_reason=length)", cut)
    return passed("truncation")


_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE = re.compile(r"[^.!?]+[.!?]?")
LOOP_NGRAM = 5
LOOP_MAX_NGRAM_REPEATS = 4
LOOP_MAX_SENTENCE_REPEATS = 3


def _normalise(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


# Quotations repeat their sources by design (a trace quoting four facts of one form): they
# are left out of the loop counts.
_QUOTED = re.compile(r'"[^"]{1,600}"|“[^”]{1,600}”')


def _loop_in(text: str) -> str | None:
    """Why `text` looks like a generation loop (quotations aside), or None."""
    text = _QUOTED.sub(" ", text)
    sentences = Counter(s for s in (_normalise(x) for x in _SENTENCE.findall(text)) if
                        len(s.split()) >= 3)
    sentence, times = sentences.most_common(1)[0] if sentences else ("", 0)
    if times >= LOOP_MAX_SENTENCE_REPEATS:
        return f"the sentence {sentence[:60]!r} repeats {times} times"
    words = _WORD.findall(text.lower())
    grams = Counter(tuple(words[i : i + LOOP_NGRAM]) for i in range(len(words) - LOOP_NGRAM + 1))
    gram, times = grams.most_common(1)[0] if grams else ((), 0)
    if times >= LOOP_MAX_NGRAM_REPEATS:
        return f"the phrase {' '.join(gram)!r} repeats {times} times"
    return None


@register_check("loop_detection")
def loop_detection(draft: Draft) -> CheckResult:
    name = "loop_detection"
    seen: dict[str, int] = {}
    for i, turn in enumerate(draft.dialogue):
        looping = _loop_in(turn.content)
        if looping:
            return failed(name, f"turn {i + 1} ({turn.role}) loops: {looping}",
                         draft.units_of_part(i))
        key = f"{turn.role}:{_normalise(turn.content)}"
        if key in seen and len(key.split()) > 3:
            return failed(name, f"turn {i + 1} repeats turn {seen[key] + 1} verbatim",
                         draft.units_of_part(i))
        seen.setdefault(key, i)
    return passed(name)


@register_check("near_duplicate")
def near_duplicate(draft: Draft) -> CheckResult:
    name = "near_duplicate"
    match = draft.duplicate_of
    if match is None:
        return passed(name)
    return failed(name, f"near-duplicate of {match.sample_id} (estimated Jaccard "
                 f"{match.similarity:.2f} ≥ {DUPLICATE_JACCARD}); write a different "
                 "record", duplicate_of=match.sample_id, similarity=match.similarity)


@register_check("pii_policy")
def pii_policy(draft: Draft) -> CheckResult:
    name = "pii_policy"
    if not draft.spec.forbid_pii:
        return passed(name, applied=False)
    for i, turn in enumerate(draft.dialogue):
        found = find_pii(turn.content)
        if found:
            kinds = sorted({kind for kind, _ in found})
            return failed(name, f"turn {i + 1} contains personal data ({', '.join(kinds)}), "
                         "which the request forbids; use placeholders",
                         draft.units_of_part(i), kinds=kinds)
    return passed(name, applied=True)


@register_check("language")
def language(draft: Draft) -> CheckResult:
    name = "language"
    expected = draft.spec.language
    if not expected:
        return passed(name, applied=False)
    detected = detect_language(" ".join(t.content for t in draft.dialogue))
    if detected != expected:
        return failed(name, f"the record is not in the requested language {expected!r} "
                     f"(detected: {detected or 'unclear'})", detected=detected)
    return passed(name, detected=detected)


@register_check("constraint_layers")
def constraint_layers(draft: Draft) -> CheckResult:
    """The verifiable constraint layers the sample was given (word limits, formats, …)."""
    name = "constraint_layers"
    results = check_layers(draft.layers, draft.dialogue)
    broken = [r for r in results if not r.passed]
    if broken:
        return failed(name, "; ".join(f"{r.check}: {r.reason}" for r in broken),
                      failed=[r.check for r in broken])
    return passed(name, checked=[r.check for r in results])
