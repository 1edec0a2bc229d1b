"""Pure generation logic for the conversation paradigm: prompt context, output schema,
reply → turns, and what a failure asks to redo."""

from __future__ import annotations

import re
from typing import Any

from longweave.contracts import Turn
from longweave.llm.tokens import CHARS_PER_TOKEN, estimate_tokens

# A rough words→tokens ratio for English-like text with BPE tokenizers.
TOKENS_PER_WORD = 1.35
SUMMARY_MAX_WORDS = 60


def segment_schema(turns: int, chars_per_exchange: int) -> dict[str, Any]:
    """JSON Schema of one segment reply: exactly `turns` user/assistant exchanges.

    Length bounds keep constrained decoding from settling on empty turns or running away:
    an exchange may use up to its share of the target (≈ 4 characters per token) for the
    assistant plus 40% of it for the user, so a record cannot overshoot the token window by
    much; the validator's token window is the real check."""
    user_max = max(80, int(chars_per_exchange * 0.4))
    assistant_min = max(40, chars_per_exchange // 2)
    assistant_max = max(80, chars_per_exchange)
    return {
        "type": "object",
        "properties": {
            "exchanges": {
                "type": "array",
                "minItems": turns,
                "maxItems": turns,
                "items": {
                    "type": "object",
                    "properties": {
                        "user": {"type": "string", "minLength": 20, "maxLength": user_max},
                        "assistant": {"type": "string", "minLength": assistant_min,
                                      "maxLength": assistant_max},
                    },
                    "required": ["user", "assistant"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["exchanges"],
        "additionalProperties": False,
    }


def chars_per_exchange(spec: dict[str, Any]) -> int:
    exchanges = spec["segments"] * spec["turns_per_segment"]
    return int(spec["target_tokens"] * CHARS_PER_TOKEN / exchanges)


def words_per_exchange(spec: dict[str, Any]) -> int:
    exchanges = spec["segments"] * spec["turns_per_segment"]
    return max(20, round(spec["target_tokens"] / TOKENS_PER_WORD / exchanges))


def segment_max_tokens(spec: dict[str, Any]) -> int:
    """Room for ~3× the segment's share of the target plus JSON overhead, so a reply is
    cut off only when the model runs away (which the truncation check then rejects)."""
    share = spec["target_tokens"] / spec["segments"]
    return int(share * 3) + 64 * spec["turns_per_segment"] + 128


def segment_prompt_context(
    sample: dict[str, Any], segment_index: int, running_summary: str, feedback: list[str],
    running_summary_is_transcript: bool = False,
) -> dict[str, Any]:
    spec = sample["spec"]
    k = spec["turns_per_segment"]
    return {
        "scenario": sample["scenario"],
        "running_summary": running_summary,
        "running_summary_is_transcript": running_summary_is_transcript,
        "first_exchange": segment_index * k + 1,
        "last_exchange": (segment_index + 1) * k,
        "total_exchanges": spec["segments"] * k,
        "turns": k,
        "words_per_exchange": words_per_exchange(spec),
        "noise": sample["noise"],
        "layers": sample.get("layers", []),  # constraint layers chosen by the sampler
        "feedback": feedback,
    }


def transcript_within_budget(previous: str, previous_is_transcript: bool, turns: list[Turn],
                             budget_tokens: int) -> str | None:
    """The conversation so far, verbatim, while it fits `budget_tokens`; None once it needs
    a summary (and, once summarised, it stays summarised)."""
    if previous and not previous_is_transcript:
        return None
    lines = [previous] if previous else []
    lines += [f"{t.role}: {t.content}" for t in turns]
    transcript = "\n".join(lines)
    return transcript if estimate_tokens(transcript) <= budget_tokens else None


def exchanges_to_turns(parsed: dict[str, Any]) -> list[Turn]:
    turns: list[Turn] = []
    for exchange in parsed["exchanges"]:
        turns.append(Turn(role="user", content=exchange["user"].strip()))
        turns.append(Turn(role="assistant", content=exchange["assistant"].strip()))
    return turns


_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def trim_to_sentence(text: str) -> str:
    """Cut a summary that hit max_tokens back to its last complete sentence."""
    ends = list(_SENTENCE_END.finditer(text))
    return text[: ends[-1].end()].strip() if ends else text.strip()


