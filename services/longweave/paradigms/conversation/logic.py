"""Pure logic of the conversation paradigm: a segment's prompt context and output schema,
reply → turns, the stitched conversation, and its export rows."""

from __future__ import annotations

import re
from typing import Any

from longweave.contracts import Turn
from longweave.contracts.records import Sample
from longweave.llm.tokens import CHARS_PER_TOKEN, estimate_tokens
from longweave.paradigms.conversation.params import ConversationParams

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


def chars_per_exchange(params: ConversationParams) -> int:
    exchanges = params.segments * params.turns_per_segment
    return int(params.target_tokens * CHARS_PER_TOKEN / exchanges)


def words_per_exchange(params: ConversationParams) -> int:
    exchanges = params.segments * params.turns_per_segment
    return max(20, round(params.target_tokens / TOKENS_PER_WORD / exchanges))


def segment_max_tokens(params: ConversationParams) -> int:
    """Room for ~3× the segment's share of the target plus JSON overhead, so a reply is
    cut off only when the model runs away (which the truncation check then rejects)."""
    share = params.target_tokens / params.segments
    return int(share * 3) + 64 * params.turns_per_segment + 128


def segment_prompt_context(
    sample: Sample, params: ConversationParams, segment_index: int, running_summary: str,
    feedback: list[str], running_summary_is_transcript: bool = False,
) -> dict[str, Any]:
    k = params.turns_per_segment
    return {
        "scenario": sample.prompt_scenario(),
        "running_summary": running_summary,
        "running_summary_is_transcript": running_summary_is_transcript,
        "first_exchange": segment_index * k + 1,
        "last_exchange": (segment_index + 1) * k,
        "total_exchanges": params.segments * k,
        "turns": k,
        "words_per_exchange": words_per_exchange(params),
        "noise": sample.noise,
        "layers": sample.layers,  # constraint layers chosen by the sampler
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




def system_message(scenario: dict[str, Any]) -> Turn:
    geo = scenario["geography"]
    return Turn(
        role="system",
        content=(
            f"Your role: {scenario['assistant_persona']}, serving {scenario['audience']} in "
            f"{geo['city']}, {geo['country']}. Tone: {scenario['tone']}. "
            f"{scenario['guidance']}"
        ),
    )


def stitch(scenario: dict[str, Any], segments: list[list[dict[str, str]]]) -> list[Turn]:
    """One conversation: a system message from the scenario, then every segment's turns."""
    turns = [system_message(scenario)]
    for segment in segments:
        turns.extend(Turn.model_validate(t) for t in segment)
    return turns


# Export rows (layouts: longweave/export.py)
Message = dict[str, str]


def messages_of(turns: list[dict[str, Any]]) -> list[Message]:
    return [{"role": t["role"], "content": t["content"]} for t in turns]


def dpo_row(chosen_turns: list[dict[str, Any]], rejected_turns: list[dict[str, Any]]
            ) -> dict[str, Any]:
    """TRL's conversational preference row: the shared opening up to the last shared user
    turn is the prompt."""
    chosen, rejected = messages_of(chosen_turns), messages_of(rejected_turns)
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
