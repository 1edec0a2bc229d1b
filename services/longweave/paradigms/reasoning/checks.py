"""The reasoning paradigm's rule checks: the trace's citations are in the context and in
the trace (and, for a programmatic record, cover every planted fact; for a free-form one,
more than one passage), and a programmatic record's answer is its key and ends its trace."""

from __future__ import annotations

from longweave.checks import CheckInput, failed, passed, register_check
from longweave.contracts import CheckResult
from longweave.paradigms.reasoning.logic import answers_match, concludes_with, quotes_in
from longweave.paradigms.reasoning.params import ReasoningParams

Draft = CheckInput[ReasoningParams]
PARADIGM = ("reasoning",)
TRACE_UNIT = 0


@register_check("citations_in_context", paradigms=PARADIGM)
def citations_in_context(draft: Draft) -> CheckResult:
    """Every citation was found in the passages (exactly or at ≥ 90%) and is quoted in the
    trace; together they cover every planted fact, or (free-form) two passages or more."""
    name = "citations_in_context"
    content = draft.content
    citations = content["citations"]
    if not citations:
        return failed(name, "the reasoning cites nothing: quote, word for word, the "
                      "sentences of the passages it uses", [TRACE_UNIT])
    for c in citations:
        if c["start"] is None:
            return failed(name, f"the citation {c['quote'][:80]!r} is not in the passages; "
                          "quote them word for word", [TRACE_UNIT])
        if not quotes_in(c["quote"], content["reasoning"]):
            return failed(name, f"the citation {c['quote'][:80]!r} is not quoted in the "
                          "reasoning; quote each passage you use where you use it",
                          [TRACE_UNIT])
    spans = [(c["start"], c["end"]) for c in citations]
    if content["mode"] == "programmatic":
        missed = [f["text"] for f in content["facts"]
                  if not any(s < f["end"] and f["start"] < e for s, e in spans)]
        if missed:
            return failed(name, "the reasoning does not cite these facts it needs: "
                          + "; ".join(repr(m) for m in missed), [TRACE_UNIT],
                          missed=len(missed))
        return passed(name, citations=len(citations))
    cited = {n for n, (s, e) in enumerate(content["passages"])
             for cs, ce in spans if cs < e and s < ce}
    if len(cited) < 2:
        return failed(name, f"the citations come from {len(cited)} passage(s); the question "
                      "must need facts from several passages, each cited", [TRACE_UNIT],
                      passages=len(cited))
    return passed(name, citations=len(citations), passages=len(cited))


@register_check("answer_matches_key", paradigms=PARADIGM)
def answer_matches_key(draft: Draft) -> CheckResult:
    """Programmatic records: the answer equals the computed key after normalisation, and
    the trace ends by stating it (free-form records have no key: passed, not applicable)."""
    name = "answer_matches_key"
    content = draft.content
    key = content.get("answer_key")
    if key is None:
        return passed(name, applicable=False)
    if not answers_match(content["answer"], key):
        return failed(name, f"the answer {content['answer'][:80]!r} is wrong; work it out "
                      "again from the facts the passages state", [TRACE_UNIT])
    if not concludes_with(content["reasoning"], key):
        return failed(name, "the reasoning does not end in its answer: finish it by "
                      "stating the answer it reaches", [TRACE_UNIT])
    return passed(name)
