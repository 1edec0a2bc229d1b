"""Training-ready exports of a run: rows in the layouts trainers read, deterministic
splits, and a dataset card. Pure functions over stored documents; `client.export_run`
does the I/O. Each record's paradigm writes its rows (`Paradigm.export_row`, `dpo_row`).

Layouts (the conversation paradigm's)
- ``sft``: TRL's conversational format, ``{"messages": [{"role", "content"}...], "id"}``.
- ``openai``: OpenAI fine-tuning chat JSONL, ``{"messages": [...]}`` and nothing else.
- ``dpo``: TRL's conversational preference format, ``{"prompt", "chosen", "rejected"}``
  (message lists): chosen is the accepted record, rejected a draft of the same sample that
  the judge rejected; prompt is their shared opening up to the last shared user turn.
- ``grpo`` (paradigms whose responses code can score): TRL's GRPO layout, ``{"prompt":
  [messages], <verifier columns>}``, read by `longweave.rewards`.
- ``claims`` (the claims paradigm): the published CLIPPER dataset's columns, one row per
  claim pair.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from longweave.contracts.records import Draft
from longweave.paradigms import PARADIGMS, Paradigm
from longweave.report.figures import card_headline

FORMATS = ("sft", "dpo", "openai", "grpo", "claims")


def exporting_paradigm(record: dict[str, Any], fmt: str) -> Paradigm[Any]:
    """The record's paradigm, if it offers `fmt` (else ValueError naming what it offers)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (available: {', '.join(FORMATS)})")
    paradigm = PARADIGMS[record["paradigm"]]
    if fmt not in paradigm.export_formats:
        raise ValueError(f"paradigm {paradigm.name} has no {fmt} export (it offers: "
                         f"{', '.join(paradigm.export_formats)})")
    return paradigm


def rejected_drafts(drafts: list[Draft]) -> list[Draft]:
    """Drafts of a sample that a check or the judge rejected: each paradigm's `dpo_row`
    pairs those that make a preference (a judge's rejection, or a checker's)."""
    return [d for d in drafts if d.rejected is not None]


def parse_split(spec: str | None) -> dict[str, float]:
    """"train=0.9,test=0.1" → {"train": 0.9, "test": 0.1}; no spec means one file."""
    if not spec:
        return {}
    parts = {}
    for item in spec.split(","):
        name, sep, share = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"bad split {item!r}: expected NAME=FRACTION")
        parts[name.strip()] = float(share)
    total = sum(parts.values())
    if any(v <= 0 for v in parts.values()) or abs(total - 1.0) > 1e-6:
        raise ValueError(f"split fractions must be positive and sum to 1, got {total}")
    return parts


def split_of(sample_id: str, split: dict[str, float]) -> str:
    """A stable assignment: the same sample lands in the same split on every export."""
    point = int(hashlib.sha256(sample_id.encode()).hexdigest()[:12], 16) / 16**12
    edge = 0.0
    for name, share in split.items():
        edge += share
        if point < edge:
            return name
    return list(split)[-1]


def dataset_card(run: dict[str, Any], records: list[dict[str, Any]], fmt: str,
                 counts: dict[str, int], version: str) -> str:
    """README.md for an export: its headline numbers (as `longweave report` computes
    them), what is in it, how it was made, what it cost."""
    request = run.get("request", {})
    models = Counter(m for r in records for m in r["models"]["generator"])
    judges = Counter(r["models"]["judge"] for r in records)
    prompts = sorted({v for r in records for v in r["prompt_versions"].values() if v})
    domains = Counter(r["scenario"].get("domain", "?") for r in records)
    countries = Counter(r["scenario"].get("geography", {}).get("country", "?") for r in records)
    usage = run.get("usage") or {}
    top = card_headline(run, records)
    means = {a: m for a, m in top["judge_means"].items() if m is not None}
    yield_share = f" ({top['yield']:.1%})" if top["yield"] is not None else ""
    distinct_2 = f"{top['distinct_2']:.3f}" if top["distinct_2"] is not None else "-"
    per_record = f"{top['tokens_per_accepted']:,.0f}" \
        if top["tokens_per_accepted"] is not None else "-"
    layout = {
        "sft": '`{"messages": [{"role", "content"}, ...], "id"}` (TRL conversational SFT)',
        "openai": '`{"messages": [...]}` (OpenAI chat fine-tuning)',
        "dpo": '`{"prompt", "chosen", "rejected"}` message lists (TRL conversational DPO); '
               "chosen: the accepted record; rejected: a draft of the same sample that the "
               "judge or a check rejected (`failed_checks` names the checks, where the "
               "paradigm records them); prompt: their shared opening (claims: each claim's "
               "right verdict and chain of thought against the wrong verdict)",
        "grpo": '`{"prompt": [messages], ...verifier columns}` (TRL GRPO); the verifier '
                "columns are what `longweave.rewards` scores a completion against",
        "claims": "one row per claim pair in the published CLIPPER dataset's columns "
                  "(true_claim, true_reasoning, false_claim, false_reasoning, chapters, "
                  "claim_type), with the book and the changed detail named",
    }[fmt]
    params = request.get("params") or {}
    lines = [
        f"# {run['_id']} — longweave {fmt} export", "",
        f"Synthetic {request.get('paradigm', 'conversation')} data generated by longweave "
        f"{version}. Every record passed the rule checks and the LLM judge.", "",
        "## Headline", "",
        f"- Yield: {top['accepted']} accepted / {top['requested']} requested{yield_share}",
        f"- Distinct-2 (distinct word bigrams / all, over what the model wrote): {distinct_2}",
        f"- Mean judge scores: {', '.join(f'{a} {m:.2f}' for a, m in means.items()) or '-'}",
        f"- Tokens per accepted record: {per_record} (prompt + completion, every LLM call "
        "of the run)",
        f"- Full report: `longweave report {run['_id']}`", "",
        "## Files", "",
        *[f"- `{name}.jsonl`: {n} rows" for name, n in counts.items()], "",
        f"Layout: {layout}.", "",
        "## How it was made", "",
        f"- Request: {request.get('count')} samples, up to {request.get('max_attempts')} "
        f"attempts, seed {request.get('seed')}; parameters: "
        f"{', '.join(f'{k}={v}' for k, v in params.items()) or 'defaults'}",
        f"- Filters: {request.get('filters') or 'none'}",
        f"- Run status: {run.get('status')}; accepted {run.get('accepted', len(records))}, "
        f"dead-lettered {run.get('dead_lettered', 0)}, regenerated {run.get('regenerated', 0)}",
        f"- Generator models: {', '.join(f'{m} ({n})' for m, n in models.items()) or '-'}",
        f"- Judge models: {', '.join(f'{m} ({n})' for m, n in judges.items()) or '-'}",
        f"- Prompt versions: {', '.join(prompts) or '-'}",
        f"- Domains: {', '.join(f'{d} ({n})' for d, n in domains.most_common()) or '-'}",
        f"- Countries: {', '.join(f'{c} ({n})' for c, n in countries.most_common()) or '-'}",
        f"- Tokens: {usage.get('prompt_tokens', 0)} prompt + "
        f"{usage.get('completion_tokens', 0)} completion in {usage.get('calls', 0)} LLM calls",
        f"- Cost: {usage.get('cost_usd', 0.0):.4f} USD (from the configured price table)",
        *(PARADIGMS[request["paradigm"]].card_lines(records)
          if request.get("paradigm") in PARADIGMS else []),
        "",
        "Synthetic data: check it against your use before training; the judge is a model too.",
        "",
    ]
    return "\n".join(lines)
