"""A run's figures from its stored documents: pure functions, no I/O (`report.collect`
reads the documents, `report.build` puts the figures together with the embeddings).

What is counted where
- funnel (samples): requested (the run's); generated: samples with a stitched draft;
  validated: samples with a draft that passed every rule check; judged: samples with a
  judged draft; accepted, dead-lettered, stopped: samples in that terminal stage; in
  flight: samples not finished yet.
- drafts (attempts): every stored draft; validated: those carrying a validation (a draft
  the checks rejected, or one the judge scored); judged: those carrying a judgment.
- rejections: per rule check, the drafts it failed (a draft failing two checks counts for
  both) and its share of the validated drafts; per judge axis, the judged drafts that
  failed it ("overall": the mean under the rubric's minimum); the top reasons over every
  failed attempt (samples' history, and the last failure in a dead letter), grouped by
  their text with the numbers masked, each with one example.
- tokens, cost and time: the run's ``llm_calls`` (every paid call, re-asks included;
  replies served from the response cache cost nothing and are not there).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from longweave.paradigms import PARADIGMS
from longweave.report.diversity import distinct_n, self_bleu

TERMINAL = ("accepted", "dead_lettered", "stopped")
FUNNEL_STAGES = ("requested", "generated", "validated", "judged", *TERMINAL)
COVERAGE = {"domain": ("domain",), "country": ("geography", "country"), "tone": ("tone",)}
TOP_REASONS = 10
EXCERPT_CHARS = 400
LENGTH_BINS = 20


@dataclass
class RunDocuments:
    """What the report reads of one run (see `report.collect` for the projections)."""

    run: dict[str, Any]
    samples: list[dict[str, Any]] = field(default_factory=list)
    drafts: list[dict[str, Any]] = field(default_factory=list)  # verdicts, no content
    records: list[dict[str, Any]] = field(default_factory=list)
    llm_calls: list[dict[str, Any]] = field(default_factory=list)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return str(self.run["_id"])


def requested_of(run: dict[str, Any]) -> int:
    return int(run.get("requested") or (run.get("request") or {}).get("count") or 0)


def share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


# -- texts -------------------------------------------------------------------------------


def written_text(doc: dict[str, Any], params: dict[str, Any] | None = None) -> str:
    """What the model wrote in a record or draft (its paradigm's non-system parts), the
    text diversity is measured on. `params`: the request's params (a record carries them
    in its spec). A document its paradigm cannot read gives its messages, if any."""
    name = doc.get("paradigm") or (doc.get("spec") or {}).get("paradigm")
    try:
        paradigm = PARADIGMS[str(name)]
        content = {key: doc[key] for key in paradigm.content_keys}
        typed = paradigm.parse_params(params if params is not None
                                      else (doc.get("spec") or {}).get("params") or {})
        parts = paradigm.parts(content, typed)
    except (LookupError, ValueError, TypeError):
        return "\n".join(str(m.get("content", "")) for m in doc.get("messages") or []
                         if isinstance(m, dict) and m.get("role") != "system")
    return "\n".join(p.content for p in parts if p.role != "system")


def excerpt(text: str, chars: int = EXCERPT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= chars else text[:chars - 1].rstrip() + "…"


# -- funnel and rejections ---------------------------------------------------------------


def funnel(docs: RunDocuments) -> dict[str, int]:
    by_sample: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for draft in docs.drafts:
        by_sample[draft["sample_id"]].append(draft)
    stages = Counter(s.get("stage") for s in docs.samples)
    return {
        "requested": requested_of(docs.run),
        "generated": len(by_sample),
        "validated": sum(any((d.get("validation") or {}).get("passed") for d in drafts)
                         for drafts in by_sample.values()),
        "judged": sum(any(d.get("judgment") for d in drafts) for drafts in by_sample.values()),
        **{stage: stages.get(stage, 0) for stage in TERMINAL},
        "in_flight": sum(n for stage, n in stages.items() if stage not in TERMINAL),
    }


def draft_counts(drafts: list[dict[str, Any]]) -> dict[str, int]:
    rejected = Counter((d.get("rejected") or {}).get("stage") for d in drafts)
    return {
        "drafts": len(drafts),
        "validated": sum(bool(d.get("validation")) for d in drafts),
        "passed_checks": sum(bool((d.get("validation") or {}).get("passed")) for d in drafts),
        "rejected_by_checks": rejected.get("validator", 0),
        "judged": sum(bool(d.get("judgment")) for d in drafts),
        "passed_judge": sum(bool((d.get("judgment") or {}).get("passed")) for d in drafts),
        "rejected_by_judge": rejected.get("judge", 0),
    }


def check_rejections(drafts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per rule check: the validated drafts it failed, and their share."""
    validated = [d["validation"] for d in drafts if d.get("validation")]
    failed = Counter(c["name"] for v in validated for c in v.get("checks", [])
                     if not c.get("passed"))
    return {name: {"drafts": n, "rate": n / len(validated)}
            for name, n in sorted(failed.items())}


def axis_rejections(drafts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per judge axis ("overall" included): the judged drafts that failed it, and their
    share."""
    judged = [d["judgment"] for d in drafts if d.get("judgment")]
    failed = Counter(a for j in judged for a in j.get("failed_axes", []))
    return {axis: {"drafts": n, "rate": n / len(judged)} for axis, n in sorted(failed.items())}


def attempt_failures(docs: RunDocuments) -> list[dict[str, Any]]:
    """Every failed attempt once: {sample_id, attempt, stage, reasons}, from the samples'
    history and the dead letters' (which add the last attempt's failure)."""
    seen: dict[tuple[str, int, str], dict[str, Any]] = {}
    sources = [(s["_id"], s.get("history") or []) for s in docs.samples]
    sources += [(d["sample_id"], d.get("history") or []) for d in docs.dead_letters
                if d.get("sample_id")]
    for sample_id, history in sources:
        for failure in history:
            key = (sample_id, int(failure.get("attempt", 0)), str(failure.get("stage")))
            seen.setdefault(key, {"sample_id": sample_id, "attempt": key[1],
                                  "stage": key[2], "reasons": list(failure.get("reasons", []))})
    return sorted(seen.values(), key=lambda f: (f["sample_id"], f["attempt"], f["stage"]))


def reason_pattern(reason: str) -> str:
    """A reason with what varies masked: numbers become N, and only its first two
    ``: ``-separated parts are kept (a judge's rationale, a quoted span follow them)."""
    head = ": ".join(reason.split(": ")[:2])
    masked = re.sub(r"\d+(?:[.,]\d+)*", "N", head)
    return " ".join(masked.split())[:160]


def top_reasons(failures: list[dict[str, Any]], limit: int = TOP_REASONS
                ) -> list[dict[str, Any]]:
    """The most frequent reasons (by pattern), each with the first failure that gave it
    (sample, attempt and draft id, and the reason in full)."""
    groups: dict[tuple[str, str], list[tuple[dict[str, Any], str]]] = defaultdict(list)
    for failure in failures:
        for reason in failure["reasons"]:
            groups[(failure["stage"], reason_pattern(reason))].append((failure, reason))
    ranked = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))[:limit]
    out = []
    for (stage, pattern), hits in ranked:
        failure, reason = hits[0]
        out.append({"stage": stage, "reason": pattern, "count": len(hits),
                    "samples": len({f["sample_id"] for f, _ in hits}),
                    "example": {"sample_id": failure["sample_id"],
                                "attempt": failure["attempt"],
                                "draft_id": f"{failure['sample_id']}:a{failure['attempt']}",
                                "reason": reason, "excerpt": None}})
    return out


def failures_by_stage(failures: list[dict[str, Any]]) -> dict[str, int]:
    return dict(sorted(Counter(f["stage"] for f in failures).items()))


# -- rounds, judge scores, lengths -------------------------------------------------------


def attempts_used(sample: dict[str, Any]) -> int:
    return int(sample.get("accepted_attempt") or sample.get("attempt") or 1)


def regeneration_rounds(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Attempts each finished sample used, per outcome ({outcome: {attempts: samples}})."""
    by_outcome: dict[str, Counter[int]] = {stage: Counter() for stage in TERMINAL}
    for sample in samples:
        if sample.get("stage") in by_outcome:
            by_outcome[sample["stage"]][attempts_used(sample)] += 1
    accepted = [attempts_used(s) for s in samples if s.get("stage") == "accepted"]
    return {
        "by_outcome": {stage: {str(k): n for k, n in sorted(c.items())}
                       for stage, c in by_outcome.items()},
        "regenerated_samples": sum(int(s.get("attempt") or 1) > 1 for s in samples),
        "mean_attempts_per_accepted": mean([float(a) for a in accepted]),
    }


def judge_scores(drafts: list[dict[str, Any]], records: list[dict[str, Any]]
                 ) -> dict[str, dict[str, Any]]:
    """Per rubric axis: how the judged drafts scored (1-5 counts, mean, the share that
    passed the axis) and the accepted records' mean."""
    judged = [d["judgment"] for d in drafts if d.get("judgment")]
    axes = sorted({a for j in judged for a in j.get("scores", {})} |
                  {a for r in records for a in r.get("scores", {})})
    out = {}
    for axis in axes:
        scored = [j for j in judged if axis in j.get("scores", {})]
        values = [float(j["scores"][axis]["score"]) for j in scored]
        counts = Counter(int(v) for v in values)
        accepted = [float(r["scores"][axis]["score"]) for r in records
                    if axis in r.get("scores", {})]
        out[axis] = {
            "n": len(values),
            "counts": {str(s): counts.get(s, 0) for s in range(1, 6)},
            "mean": mean(values),
            "pass_rate": share(sum(axis not in j.get("failed_axes", []) for j in scored),
                               len(scored)),
            "accepted_mean": mean(accepted),
        }
    return out


def measured_length(validation: dict[str, Any] | None) -> dict[str, Any] | None:
    """The length a rule check measured against its window (a check whose details hold
    ``tokens``, ``low`` and ``high``, e.g. token_window, context_length)."""
    for check in (validation or {}).get("checks", []):
        details = check.get("details") or {}
        if all(isinstance(details.get(k), int | float) for k in ("tokens", "low", "high")):
            return {"check": check["name"], "tokens": details["tokens"],
                    "low": details["low"], "high": details["high"]}
    return None


def lengths(drafts: list[dict[str, Any]], records: list[dict[str, Any]]) -> dict[str, Any]:
    """Record lengths against the target window, as the paradigm's length check measured
    them (records and every validated draft); without such a check, the records' written
    tokens (estimated) and no window."""
    measured = [m for r in records if (m := measured_length(r.get("validation")))]
    drafts_measured = [m for d in drafts if (m := measured_length(d.get("validation")))]
    if measured or drafts_measured:
        windows = Counter((m["low"], m["high"]) for m in measured or drafts_measured)
        (low, high), _ = windows.most_common(1)[0]
        values = [float(m["tokens"]) for m in measured]
        checks = sorted({m["check"] for m in measured + drafts_measured})
        inside = [m for m in measured if m["low"] <= m["tokens"] <= m["high"]]
        return {
            "measure": f"tokens measured by {', '.join(checks)}",
            "window": [low, high], "windows": len(windows),
            "records": values, "drafts": [float(m["tokens"]) for m in drafts_measured],
            "inside_share": share(len(inside), len(measured)),
            "below": sum(m["tokens"] < m["low"] for m in measured),
            "above": sum(m["tokens"] > m["high"] for m in measured),
            "mean": mean(values),
        }
    values = [float((r.get("tokens") or {}).get("record_estimate", 0)) for r in records]
    return {"measure": "written tokens (estimate; the paradigm has no length check)",
            "window": None, "windows": 0, "records": values, "drafts": [],
            "inside_share": None, "below": None, "above": None, "mean": mean(values)}


# -- coverage, cost ----------------------------------------------------------------------


def _field(sampled: dict[str, Any], path: tuple[str, ...]) -> str:
    value: Any = sampled
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return str(value) if value not in (None, "") else "(none)"


def coverage(samples: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, int]]]:
    """Per dimension (domain, country, tone, complexify operator): per value, the samples
    drawn with it and the accepted ones."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for dimension, path in COVERAGE.items():
        values: dict[str, dict[str, int]] = defaultdict(lambda: {"sampled": 0, "accepted": 0})
        for sample in samples:
            entry = values[_field(sample.get("sampled") or {}, path)]
            entry["sampled"] += 1
            entry["accepted"] += sample.get("stage") == "accepted"
        out[dimension] = dict(sorted(values.items(), key=lambda kv: (-kv[1]["sampled"], kv[0])))
    operators: dict[str, dict[str, int]] = defaultdict(lambda: {"sampled": 0, "accepted": 0})
    for sample in samples:
        names = (sample.get("sampled") or {}).get("layers") or \
            [layer.get("operator") for layer in sample.get("layers") or []] or ["(none)"]
        for name in dict.fromkeys(str(n) for n in names):
            operators[name]["sampled"] += 1
            operators[name]["accepted"] += sample.get("stage") == "accepted"
    out["operator"] = dict(sorted(operators.items(), key=lambda kv: (-kv[1]["sampled"], kv[0])))
    return out


def cost(docs: RunDocuments, accepted: int) -> dict[str, Any]:
    """Tokens, cost and time from the run's recorded LLM calls, in total, per purpose and
    per accepted record."""
    def totals(calls: list[dict[str, Any]]) -> dict[str, Any]:
        prompt = sum(int((c.get("usage") or {}).get("prompt_tokens", 0)) for c in calls)
        completion = sum(int((c.get("usage") or {}).get("completion_tokens", 0)) for c in calls)
        return {"calls": len(calls), "prompt_tokens": prompt, "completion_tokens": completion,
                "tokens": prompt + completion,
                "cost_usd": sum(float(c.get("cost_usd") or 0.0) for c in calls),
                "llm_seconds": sum(float(c.get("latency_s") or 0.0) for c in calls)}

    by_purpose: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for call in docs.llm_calls:
        by_purpose[str(call.get("purpose") or call.get("role") or "other")].append(call)
    total = totals(docs.llm_calls)
    wall = docs.run.get("wall_s")
    per = {key: share(total[key], accepted)
           for key in ("tokens", "prompt_tokens", "completion_tokens", "cost_usd",
                       "llm_seconds", "calls")}
    per["wall_seconds"] = share(float(wall), accepted) if wall is not None else None
    return {**total, "wall_seconds": wall,
            "by_purpose": {p: totals(c) for p, c in sorted(by_purpose.items())},
            "per_accepted": per,
            "ledger": docs.run.get("llm_usage")}


# -- one run -----------------------------------------------------------------------------


def texts_of(records: list[dict[str, Any]]) -> dict[str, str]:
    """Sample id → what the model wrote, of every record."""
    return {str(r["sample_id"]): written_text(r) for r in records}


def lexical_diversity(texts: list[str]) -> dict[str, Any]:
    return {f"distinct_{n}": distinct_n(texts, n) for n in (1, 2, 3)} | \
        {"self_bleu": self_bleu(texts), "texts": len(texts),
         "similarity": None}  # from embeddings: `report.build` fills it in


def headline(run: dict[str, Any], records: list[dict[str, Any]], tokens: int | None,
             distinct_2: float | None, accepted: int | None = None) -> dict[str, Any]:
    """The numbers a dataset card and the report open with. `accepted`: the report's
    count of accepted samples; by default the records' (the run's counter without any)."""
    requested = requested_of(run)
    if accepted is None:
        accepted = len(records) if records else int(run.get("accepted", 0))
    axes = sorted({a for r in records for a in r.get("scores", {})})
    return {
        "requested": requested, "accepted": accepted,
        "yield": share(accepted, requested),
        "distinct_2": distinct_2,
        "judge_means": {a: mean([float(r["scores"][a]["score"]) for r in records
                                 if a in r.get("scores", {})]) for a in axes},
        "tokens_per_accepted": share(tokens, accepted) if tokens is not None else None,
    }


def card_headline(run: dict[str, Any], records: list[dict[str, Any]]) -> dict[str, Any]:
    """`headline` from what an export has at hand: the run (its usage, summed from its
    LLM calls when it finished) and its records."""
    usage = run.get("usage") or {}
    tokens = int(usage.get("prompt_tokens", 0)) + int(usage.get("completion_tokens", 0)) \
        if usage else None
    texts = list(texts_of(records).values())
    return headline(run, records, tokens, distinct_n(texts, 2))


def paradigm_section(paradigm: str, records: list[dict[str, Any]],
                     drafts: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The paradigm's own section (`Paradigm.report_section`), or None."""
    if paradigm not in PARADIGMS:
        return None
    section = PARADIGMS[paradigm].report_section(records, drafts)
    return None if section is None else section.to_json()


def params_in_force(request: dict[str, Any]) -> dict[str, Any]:
    """The request's params with its paradigm's defaults filled (as given when the
    paradigm is unknown or they do not validate)."""
    raw = request.get("params") or {}
    name = str(request.get("paradigm") or "conversation")
    if name not in PARADIGMS:
        return dict(raw)
    try:
        return PARADIGMS[name].parse_params(raw).model_dump(mode="json")
    except ValueError:  # pydantic's ValidationError is one
        return dict(raw)


def run_figures(docs: RunDocuments, label: str | None = None) -> dict[str, Any]:
    """Every figure of one run but the embedding similarities (`report.build` adds them)
    and the excerpts of the rejection examples (`attach_excerpts`)."""
    run = docs.run
    request = run.get("request") or {}
    paradigm = str(request.get("paradigm") or "conversation")
    funnel_counts = funnel(docs)
    # Accepted samples as stored; a run read without its samples, by its own counter.
    accepted = funnel_counts["accepted"] if docs.samples else int(run.get("accepted", 0))
    failures = attempt_failures(docs)
    texts = list(texts_of(docs.records).values())
    diversity = lexical_diversity(texts)
    cost_figures = cost(docs, accepted)
    checks = check_rejections(docs.drafts)
    drafts = draft_counts(docs.drafts)
    return {
        "run_id": docs.run_id,
        "label": label or docs.run_id,
        "paradigm": paradigm,
        "strategy": params_in_force(request).get("strategy"),
        "status": run.get("status"),
        "created_at": str(run.get("created_at")) if run.get("created_at") else None,
        "request": {k: request.get(k) for k in ("count", "max_attempts", "seed", "objective",
                                                 "filters", "params", "complexity",
                                                 "noise_transformations")},
        "headline": headline(run, docs.records, cost_figures["tokens"],
                             diversity["distinct_2"],
                             accepted),
        "funnel": funnel_counts,
        "drafts": drafts,
        "rejections": {
            "by_check": checks,
            "duplicate_rate": share(checks.get("near_duplicate", {}).get("drafts", 0),
                                    drafts["validated"]),
            "by_axis": axis_rejections(docs.drafts),
            "by_stage": failures_by_stage(failures),
            "top_reasons": top_reasons(failures),
        },
        "regeneration": regeneration_rounds(docs.samples),
        "judge_scores": judge_scores(docs.drafts, docs.records),
        "lengths": lengths(docs.drafts, docs.records),
        "diversity": diversity,
        "coverage": coverage(docs.samples),
        "cost": cost_figures,
        "paradigm_section": paradigm_section(paradigm, docs.records, docs.drafts),
    }


def example_draft_ids(figures: dict[str, Any]) -> list[str]:
    return [r["example"]["draft_id"] for r in figures["rejections"]["top_reasons"]]


def attach_excerpts(figures: dict[str, Any], texts: dict[str, str]) -> None:
    """Fill each rejection example's excerpt from its draft's text (by draft id)."""
    for reason in figures["rejections"]["top_reasons"]:
        text = texts.get(reason["example"]["draft_id"])
        reason["example"]["excerpt"] = excerpt(text) if text else None
