"""Training-ready exports of a run: rows in the layouts trainers read, deterministic
splits, and a dataset card. Pure functions over stored documents; `client.export_run`
does the I/O.

Layouts
- ``sft``: TRL's conversational format, ``{"messages": [{"role", "content"}...], "id"}``.
- ``openai``: OpenAI fine-tuning chat JSONL, ``{"messages": [...]}`` and nothing else.
- ``dpo``: TRL's conversational preference format, ``{"prompt", "chosen", "rejected"}``
  (message lists): chosen is the accepted record, rejected a draft of the same sample that
  the judge rejected; prompt is their shared opening up to the last shared user turn.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

FORMATS = ("sft", "dpo", "openai")
Message = dict[str, str]


def _messages(turns: list[dict[str, Any]]) -> list[Message]:
    return [{"role": t["role"], "content": t["content"]} for t in turns]


def sft_row(record: dict[str, Any]) -> dict[str, Any]:
    return {"messages": _messages(record["messages"]), "id": record["sample_id"]}


def openai_row(record: dict[str, Any]) -> dict[str, Any]:
    return {"messages": _messages(record["messages"])}


def judged_worse(drafts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drafts of a sample that the judge rejected (validator rejects were never judged)."""
    return [d for d in drafts
            if d.get("judgment") is not None and not d["judgment"].get("passed", False)]


def dpo_row(record: dict[str, Any], rejected_draft: dict[str, Any]) -> dict[str, Any]:
    chosen, rejected = _messages(record["messages"]), _messages(rejected_draft["turns"])
    shared = 0
    while shared < min(len(chosen), len(rejected)) and chosen[shared] == rejected[shared]:
        shared += 1
    users = [i for i in range(shared) if chosen[i]["role"] == "user"]
    if users:
        cut = users[-1] + 1
        return {"prompt": chosen[:cut], "chosen": chosen[cut:], "rejected": rejected[cut:]}
    # A wholly rewritten record shares only its system message: the prompt is that plus
    # the accepted record's opening user turn, and the rejected draft answers from its own
    # second turn on (its opener differed).
    head = chosen[:shared]
    first_user = next(i for i, m in enumerate(chosen) if m["role"] == "user")
    rejected_first_user = next(i for i, m in enumerate(rejected) if m["role"] == "user")
    return {"prompt": head + [chosen[first_user]], "chosen": chosen[first_user + 1:],
            "rejected": rejected[rejected_first_user + 1:]}


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
    """README.md for an export: what is in it, how it was made, what it cost."""
    request = run.get("request", {})
    models = Counter(m for r in records for m in r["models"]["generator"])
    judges = Counter(r["models"]["judge"] for r in records)
    prompts = sorted({v for r in records for v in r["prompt_versions"].values() if v})
    domains = Counter(r["scenario"].get("domain", "?") for r in records)
    countries = Counter(r["scenario"].get("geography", {}).get("country", "?") for r in records)
    usage = run.get("usage") or {}
    axes = sorted({a for r in records for a in r["scores"]})
    means = {a: sum(r["scores"][a]["score"] for r in records) / len(records)
             for a in axes} if records else {}
    layout = {
        "sft": '`{"messages": [{"role", "content"}, ...], "id"}` (TRL conversational SFT)',
        "openai": '`{"messages": [...]}` (OpenAI chat fine-tuning)',
        "dpo": '`{"prompt", "chosen", "rejected"}` message lists (TRL conversational DPO); '
               "chosen: the accepted record; rejected: a draft of the same sample the judge "
               "rejected; prompt: their shared opening up to the last shared user turn",
    }[fmt]
    lines = [
        f"# {run['_id']} — longweave {fmt} export", "",
        f"Synthetic {request.get('paradigm', 'conversation')} data generated by longweave "
        f"{version}. Every record passed the rule checks and the LLM judge.", "",
        "## Files", "",
        *[f"- `{name}.jsonl`: {n} rows" for name, n in counts.items()], "",
        f"Layout: {layout}.", "",
        "## How it was made", "",
        f"- Request: {request.get('count')} samples × {request.get('segments')} segments × "
        f"{request.get('turns_per_segment')} turns, target {request.get('target_tokens')} "
        f"tokens, up to {request.get('max_attempts')} attempts, seed {request.get('seed')}",
        f"- Filters: {request.get('filters') or 'none'}",
        f"- Run status: {run.get('status')}; accepted {run.get('accepted', len(records))}, "
        f"dead-lettered {run.get('dead_lettered', 0)}, regenerated {run.get('regenerated', 0)}",
        f"- Generator models: {', '.join(f'{m} ({n})' for m, n in models.items()) or '-'}",
        f"- Judge models: {', '.join(f'{m} ({n})' for m, n in judges.items()) or '-'}",
        f"- Prompt versions: {', '.join(prompts) or '-'}",
        f"- Domains: {', '.join(f'{d} ({n})' for d, n in domains.most_common()) or '-'}",
        f"- Countries: {', '.join(f'{c} ({n})' for c, n in countries.most_common()) or '-'}",
        f"- Mean judge scores: {', '.join(f'{a} {m:.2f}' for a, m in means.items()) or '-'}",
        f"- Tokens: {usage.get('prompt_tokens', 0)} prompt + "
        f"{usage.get('completion_tokens', 0)} completion in {usage.get('calls', 0)} LLM calls",
        f"- Cost: {usage.get('cost_usd', 0.0):.4f} USD (from the configured price table)",
        "",
        "Synthetic data: check it against your use before training; the judge is a model too.",
        "",
    ]
    return "\n".join(lines)
