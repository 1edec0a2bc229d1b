"""A small run as the mesh stores it, as documents (no store): four conversation samples.

- 000000: accepted at its first attempt;
- 000001: its first draft too short for the token window, its second accepted;
- 000002: the judge failed its first draft on coherence, the checks its second on turn
  structure: out of attempts (max 2), dead-lettered;
- 000003: stopped before any draft.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from longweave.report.figures import RunDocuments

T0 = datetime(2026, 1, 1, tzinfo=UTC)
RUN_ID = "run-r"


def turns(*texts: str) -> list[dict[str, str]]:
    roles = ("user", "assistant")
    return [{"role": "system", "content": "You are a clerk."}] + \
        [{"role": roles[i % 2], "content": t} for i, t in enumerate(texts)]


MESSAGES = {
    "000000": turns("My invoice from March was charged twice.",
                    "I see two debits of 120 euros; I will refund one today."),
    "000001": turns("Can I move my appointment to Friday morning?",
                    "Friday at nine is free, shall I book it for you?"),
    "000002": turns("The parcel never arrived.", "Sorry."),
}


def check(name: str, passed: bool = True, reason: str = "", **details: Any) -> dict[str, Any]:
    return {"name": name, "passed": passed, "reason": reason, "segment_indexes": [],
            "details": details}


def window(tokens: int) -> dict[str, Any]:
    passed = 20 <= tokens <= 60
    return check("token_window", passed, "" if passed else f"too short: ~{tokens} tokens",
                 tokens=tokens, low=20, high=60, tokenizer="estimate")


def judgment(sample: str, attempt: int, coherence: int, failed: tuple[str, ...] = ()
             ) -> dict[str, Any]:
    return {"run_id": RUN_ID, "sample_id": f"{RUN_ID}-{sample}", "attempt": attempt,
            "draft_id": f"{RUN_ID}-{sample}:a{attempt}", "passed": not failed,
            "scores": {"coherence": {"score": coherence, "rationale": "r"},
                       "tone_fidelity": {"score": 4, "rationale": "r"}},
            "model": "judge-model", "prompt_version": "j@v1", "failed_axes": list(failed)}


def draft(sample: str, attempt: int, checks: list[dict[str, Any]],
          judged: dict[str, Any] | None = None, rejected: tuple[str, list[str]] | None = None
          ) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": f"{RUN_ID}-{sample}:a{attempt}", "run_id": RUN_ID,
        "sample_id": f"{RUN_ID}-{sample}", "attempt": attempt,
        "validation": {"passed": all(c["passed"] for c in checks), "checks": checks}}
    if judged is not None:
        doc["judgment"] = judged
    if rejected is not None:
        doc["rejected"] = {"stage": rejected[0], "reasons": rejected[1]}
    return doc


def sample(index: str, stage: str, attempt: int, domain: str, country: str, tone: str,
           layers: list[str], history: list[dict[str, Any]] = (), **fields: Any
           ) -> dict[str, Any]:
    return {"_id": f"{RUN_ID}-{index}", "run_id": RUN_ID, "index": int(index), "stage": stage,
            "attempt": attempt, "history": list(history),
            "sampled": {"domain": domain, "geography": {"country": country}, "tone": tone,
                        "layers": layers},
            "spec": {"paradigm": "conversation", "params": {}}, **fields}


def failure(attempt: int, stage: str, reason: str) -> dict[str, Any]:
    return {"attempt": attempt, "stage": stage, "reasons": [reason], "segment_indexes": [],
            "at": "2026-01-01T00:00:00+00:00"}


def record(index: str, attempts: int, coherence: int, tokens: int) -> dict[str, Any]:
    return {"_id": f"{RUN_ID}-{index}", "run_id": RUN_ID, "sample_id": f"{RUN_ID}-{index}",
            "paradigm": "conversation", "messages": MESSAGES[index],
            "spec": {"paradigm": "conversation", "params": {}, "units": 2},
            "scores": {"coherence": {"score": coherence, "rationale": "r"},
                       "tone_fidelity": {"score": 4, "rationale": "r"}},
            "validation": {"passed": True, "checks": [check("turn_structure"), window(tokens)]},
            "tokens": {"record_estimate": tokens, "prompt": 0, "completion": 0, "llm_calls": 0},
            "attempts": attempts}


def call(sample_id: str, purpose: str, prompt: int, completion: int, cost: float = 0.0,
         latency: float = 1.0) -> dict[str, Any]:
    return {"run_id": RUN_ID, "sample_id": f"{RUN_ID}-{sample_id}", "purpose": purpose,
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion},
            "cost_usd": cost, "latency_s": latency}


TOO_SHORT = "token_window: too short: ~12 tokens, the target is 40 (accepted 20-60)"
INCOHERENT = "judge: coherence scored 2/5 (needs 3): the reply ignores the question"
TURNS = "turn_structure: 3 turns, expected 4"


def hand_built_run() -> RunDocuments:
    return RunDocuments(
        run={"_id": RUN_ID, "requested": 4, "status": "complete", "accepted": 2,
             "dead_lettered": 1, "stopped": 1, "wall_s": 100.0, "created_at": T0,
             "request": {"paradigm": "conversation", "count": 4, "max_attempts": 2,
                         "seed": 7, "params": {}}},
        samples=[
            sample("000000", "accepted", 1, "finance", "France", "formal", ["persona"],
                   accepted_attempt=1),
            sample("000001", "accepted", 2, "finance", "Ghana", "formal", [],
                   [failure(1, "validator", TOO_SHORT)], accepted_attempt=2),
            sample("000002", "dead_lettered", 2, "travel", "France", "casual", ["persona"],
                   [failure(1, "judge", INCOHERENT)]),
            sample("000003", "stopped", 1, "travel", "Chile", "casual", []),
        ],
        drafts=[
            draft("000000", 1, [check("turn_structure"), window(40)],
                  judgment("000000", 1, 4)),
            draft("000001", 1, [check("turn_structure"), window(12)],
                  rejected=("validator", [TOO_SHORT])),
            draft("000001", 2, [check("turn_structure"), window(30)],
                  judgment("000001", 2, 5)),
            draft("000002", 1, [check("turn_structure"), window(25)],
                  judgment("000002", 1, 2, ("coherence", "overall")),
                  rejected=("judge", [INCOHERENT])),
            draft("000002", 2, [check("turn_structure", False, "3 turns, expected 4"),
                                window(10)],
                  rejected=("validator", [TURNS, "token_window: too short: ~10 tokens, the "
                                          "target is 40 (accepted 20-60)"])),
        ],
        records=[record("000000", 1, 4, 40), record("000001", 2, 5, 30)],
        llm_calls=[call("000000", "segment", 100, 50, 0.01, 2.0),
                   call("000000", "judge", 200, 20, 0.02, 1.0),
                   call("000001", "segment", 100, 40, 0.01, 2.0),
                   call("000001", "segment", 110, 45, 0.01, 2.0),
                   call("000001", "judge", 210, 20, 0.02, 1.0),
                   call("000002", "segment", 90, 10, 0.0, 1.0)],
        dead_letters=[{"_id": f"sample:{RUN_ID}-000002", "sample_id": f"{RUN_ID}-000002",
                       "kind": "attempts_exhausted", "reasons": [TURNS],
                       "history": [failure(1, "judge", INCOHERENT),
                                   failure(2, "validator", TURNS)]}],
    )


@pytest.fixture
def run_docs() -> RunDocuments:
    return hand_built_run()
