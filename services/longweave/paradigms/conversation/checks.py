"""The conversation paradigm's rule checks: turn structure, the token window, and the JSON
replies a request asks for."""

from __future__ import annotations

from typing import Any

import jsonschema

from longweave.checks import CheckInput, failed, passed, register_check
from longweave.contracts import CheckResult
from longweave.llm.parsing import ReplyParseError, extract_json
from longweave.llm.tokens import estimate_tokens
from longweave.paradigms.conversation.params import ConversationParams

Draft = CheckInput[ConversationParams]


@register_check("turn_structure", paradigms=("conversation",))
def turn_structure(draft: Draft) -> CheckResult:
    name = "turn_structure"
    dialogue = draft.dialogue
    expected = 2 * draft.params.segments * draft.params.turns_per_segment
    for i, turn in enumerate(dialogue):
        want = "user" if i % 2 == 0 else "assistant"
        if turn.role != want:
            return failed(name, f"turn {i + 1} is {turn.role}, expected {want}",
                         draft.units_of_part(i))
        if not turn.content.strip():
            return failed(name, f"turn {i + 1} ({turn.role}) is empty",
                         draft.units_of_part(i))
    if len(dialogue) != expected:
        return failed(name, f"{len(dialogue)} turns, expected {expected}")
    return passed(name, turns=len(dialogue))


@register_check("token_window", paradigms=("conversation",))
def token_window(draft: Draft) -> CheckResult:
    name = "token_window"
    tokens = draft.token_count
    if tokens is None:
        tokens = sum(estimate_tokens(t.content) for t in draft.dialogue)
    target, tolerance = draft.params.target_tokens, draft.params.length_tolerance
    low, high = int(target * max(0.0, 1 - tolerance)), int(target * (1 + tolerance))
    if tokens < low:
        return failed(name, f"too short: ~{tokens} tokens, the target is {target} "
                     f"(accepted {low}-{high}); write longer, more detailed turns",
                     tokens=tokens, low=low, high=high, tokenizer=draft.tokenizer)
    if tokens > high:
        return failed(name, f"too long: ~{tokens} tokens, the target is {target} "
                     f"(accepted {low}-{high}); write shorter turns",
                     tokens=tokens, low=low, high=high, tokenizer=draft.tokenizer)
    return passed(name, tokens=tokens, low=low, high=high, tokenizer=draft.tokenizer)


def _assistant_json(draft: Draft) -> list[tuple[int, Any]] | CheckResult:
    """(dialogue index, parsed value) of every assistant turn, or the parse failure."""
    parsed = []
    for i, turn in enumerate(draft.dialogue):
        if turn.role != "assistant":
            continue
        try:
            parsed.append((i, extract_json(turn.content)))
        except ReplyParseError as exc:
            return failed("json_parseable", f"assistant turn {i + 1}: {exc}",
                         draft.units_of_part(i))
    return parsed


@register_check("json_parseable", paradigms=("conversation",))
def json_parseable(draft: Draft) -> CheckResult:
    if draft.params.assistant_json_schema is None:
        return passed("json_parseable", applied=False)
    parsed = _assistant_json(draft)
    return parsed if isinstance(parsed, CheckResult) else passed("json_parseable")


@register_check("json_schema", paradigms=("conversation",))
def json_schema(draft: Draft) -> CheckResult:
    name = "json_schema"
    schema = draft.params.assistant_json_schema
    if schema is None:
        return passed(name, applied=False)
    parsed = _assistant_json(draft)
    if isinstance(parsed, CheckResult):
        return passed(name, applied=False)  # json_parseable reports it
    validator = jsonschema.Draft202012Validator(schema)
    for i, value in parsed:
        error = jsonschema.exceptions.best_match(validator.iter_errors(value))
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "<root>"
            return failed(name, f"assistant turn {i + 1} does not match the schema at "
                         f"{where}: {error.message}", draft.units_of_part(i))
    return passed(name, applied=True)


@register_check("required_fields", paradigms=("conversation",))
def required_fields(draft: Draft) -> CheckResult:
    name = "required_fields"
    fields = draft.params.required_fields
    parsed = _assistant_json(draft) if fields else []
    if isinstance(parsed, CheckResult):
        return passed(name, applied=False)
    for i, value in parsed:
        missing = [f for f in fields
                   if not isinstance(value, dict) or value.get(f) in (None, "", [], {})]
        if missing:
            return failed(name, f"assistant turn {i + 1} lacks required fields {missing}",
                         draft.units_of_part(i), missing=missing)
    return passed(name, applied=bool(fields))
