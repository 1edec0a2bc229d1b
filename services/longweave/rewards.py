"""Reward functions for GRPO, with TRL ``GRPOTrainer``'s signature: ``reward(completions,
**kwargs) -> list[float]``, one float per completion, the dataset's verifier columns
arriving as keyword arguments (one value per completion). They need nothing but this
package: no mesh, no store, no model.

- `instruction_following` (and its strict/loose, fraction/all-or-nothing variants) reads
  the ``instructions`` column: a record's verifiable instructions, as a list of
  ``{"name", "params"}`` or that list as JSON text.
- `exact_answer` reads the ``answer`` column and compares after normalising numbers, case,
  whitespace and surrounding punctuation.
- `think_format` reads no column: a completion scores 1.0 when its reasoning is laid out
  as trainers expect (one non-empty ``<think>…</think>`` block, then a non-empty answer;
  or a non-empty ``reasoning_content`` beside a non-empty ``content``).

A completion is a string, or a conversational completion (a list of messages, whose last
assistant message is read)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from longweave.instructions import parse_instructions, verify

Reward = Callable[..., list[float]]


def completion_text(completion: Any) -> str:
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Sequence):
        for message in reversed(completion):
            if isinstance(message, dict) and message.get("role") == "assistant":
                return str(message.get("content") or "")
    raise TypeError(f"a completion is text or a list of messages, not {type(completion)}")


def _column(kwargs: dict[str, Any], name: str, n: int) -> list[Any]:
    if name not in kwargs:
        raise KeyError(f"the dataset has no {name!r} column (columns: {sorted(kwargs)})")
    values = list(kwargs[name])
    if len(values) != n:
        raise ValueError(f"{len(values)} {name!r} values for {n} completions")
    return values


def instruction_reward(mode: str = "strict", all_or_nothing: bool = False) -> Reward:
    """A reward of the share of a record's instructions a completion follows (IFEval's
    `mode`: "strict" or "loose"), or 1/0 for all of them."""
    if mode not in ("strict", "loose"):
        raise ValueError(f"mode is 'strict' or 'loose', not {mode!r}")

    def reward(completions: Sequence[Any], **kwargs: Any) -> list[float]:
        rewards = []
        for completion, spec in zip(completions,
                                    _column(kwargs, "instructions", len(completions)),
                                    strict=True):
            raw = json.loads(spec) if isinstance(spec, str) else spec
            instructions = parse_instructions(raw)
            text = completion_text(completion)
            followed = [verify(i, text).passed(mode) for i in instructions]
            if not followed:
                rewards.append(1.0)
            elif all_or_nothing:
                rewards.append(float(all(followed)))
            else:
                rewards.append(sum(followed) / len(followed))
        return rewards

    reward.__name__ = f"instruction_following_{mode}" + ("_all" if all_or_nothing else "")
    return reward


instruction_following = instruction_reward("strict")
instruction_following_loose = instruction_reward("loose")
instruction_following_all = instruction_reward("strict", all_or_nothing=True)

_NUMBER = re.compile(r"^[-+]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?%?$")


def normalise_answer(text: str) -> str:
    """Case, whitespace and surrounding punctuation folded; numbers written one way
    ("1,000.50" and "1000.5" are the same number)."""
    value = " ".join(str(text).strip().lower().split()).strip(" .,;:!?\"'`*")
    value = re.sub(r"\s*,\s*", ", ", value)  # lists: "a,b" and "a , b" are "a, b"
    compact = value.replace(" ", "")
    if compact and _NUMBER.match(compact) and any(c.isdigit() for c in compact):
        percent = compact.endswith("%")
        try:
            number = Decimal(compact.rstrip("%").replace(",", ""))
        except InvalidOperation:
            return value
        digits = format(number.normalize(), "f")
        return digits + ("%" if percent else "")
    return value


_THINK = re.compile(r"^\s*<think>(?P<trace>.*?)</think>(?P<answer>.*)$", re.DOTALL)


def final_answer_text(completion: Any) -> str:
    """What a completion answers: the text after its reasoning (after ``</think>``, or the
    ``content`` beside a ``reasoning_content``)."""
    text = completion_text(completion)
    return text.rpartition("</think>")[2] if "</think>" in text else text


def exact_answer(completions: Sequence[Any], **kwargs: Any) -> list[float]:
    """1.0 when the completion's final answer equals the ``answer`` column after
    normalisation: the text after its reasoning, or after its last "answer:" label."""
    out = []
    for completion, answer in zip(completions, _column(kwargs, "answer", len(completions)),
                                  strict=True):
        text = final_answer_text(completion)
        labelled = re.split(r"(?i)\banswer\s*:", text)
        final = labelled[-1] if len(labelled) > 1 else text
        out.append(float(normalise_answer(final) == normalise_answer(str(answer))))
    return out


def _assistant_message(completion: Any) -> dict[str, Any] | None:
    if isinstance(completion, Sequence) and not isinstance(completion, str):
        for message in reversed(completion):
            if isinstance(message, dict) and message.get("role") == "assistant":
                return message
    return None


def think_format(completions: Sequence[Any], **kwargs: Any) -> list[float]:
    """1.0 when the completion lays its reasoning out as trained: exactly one non-empty
    ``<think>…</think>`` block opening it and a non-empty answer after it, or a message with
    a non-empty ``reasoning_content`` and a non-empty ``content`` without think tags."""
    out = []
    for completion in completions:
        message = _assistant_message(completion)
        if message is not None and message.get("reasoning_content") is not None:
            content = str(message.get("content") or "")
            ok = bool(str(message["reasoning_content"]).strip()) and bool(content.strip()) \
                and "<think>" not in content and "</think>" not in content
        else:
            found = _THINK.match(completion_text(completion))
            ok = found is not None and bool(found["trace"].strip()) \
                and bool(found["answer"].strip()) \
                and "<think>" not in found["trace"] + found["answer"] \
                and "</think>" not in found["answer"]
        out.append(float(ok))
    return out


__all__ = ["completion_text", "exact_answer", "final_answer_text", "instruction_following",
           "instruction_following_all", "instruction_following_loose", "instruction_reward",
           "normalise_answer", "think_format"]
