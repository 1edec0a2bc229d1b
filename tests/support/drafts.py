"""Drafts of conversations for the rule checks' unit tests: turns and a flat spec (the
request's common fields and the conversation's params side by side) in, a `CheckInput` as
the validator builds it out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from longweave.checks import CheckInput
from longweave.contracts import Turn
from longweave.paradigms import PARADIGMS
from support.samples import spec_for

COMMON_FIELDS = {"paradigm", "objective", "max_attempts", "judge_min_score", "cache",
                 "budget", "forbid_pii", "language", "quality"}


def conversation_draft(turns: Sequence[Turn | dict[str, str]], spec: dict[str, Any],
                       finish_reasons: Sequence[str] = (), **measured: Any) -> CheckInput[Any]:
    params = {k: v for k, v in spec.items() if k not in COMMON_FIELDS}
    common = {k: v for k, v in spec.items() if k in COMMON_FIELDS - {"paradigm"}}
    messages = [t.model_dump() if isinstance(t, Turn) else dict(t) for t in turns]
    conversation = PARADIGMS["conversation"]
    typed = conversation.parse_params(params)
    parts = conversation.parts({"messages": messages}, typed)
    return CheckInput(parts=parts, spec=spec_for("conversation", params, **common),
                      params=typed, finish_reasons=list(finish_reasons), **measured)
