import jsonschema
import pytest

from longweave.paradigms.conversation.logic import (
    chars_per_exchange,
    exchanges_to_turns,
    segment_max_tokens,
    segment_prompt_context,
    segment_schema,
    stitch,
    transcript_within_budget,
    trim_to_sentence,
    words_per_exchange,
)
from longweave.paradigms.conversation.params import ConversationParams
from support.samples import make_sample

PARAMS = ConversationParams(segments=3, turns_per_segment=2, target_tokens=1200)


def test_schema_requires_exactly_k_exchanges():
    schema = segment_schema(2, 300)
    good = {"exchanges": [{"user": "u" * 25, "assistant": "a" * 200}] * 2}
    jsonschema.validate(good, schema)
    for bad in ({"exchanges": good["exchanges"][:1]},
                {"exchanges": [{"user": "u" * 25}] * 2},
                {"exchanges": [{"user": "", "assistant": "a" * 200}] * 2}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_turn_lengths_keep_a_record_near_its_token_target():
    per_exchange = chars_per_exchange(PARAMS)
    assert per_exchange == 1200 * 4 // 6
    turn = segment_schema(2, per_exchange)["properties"]["exchanges"]["items"]["properties"]
    longest = turn["user"]["maxLength"] + turn["assistant"]["maxLength"]
    shortest = turn["user"]["minLength"] + turn["assistant"]["minLength"]
    # At ≈ 4 characters per token the whole record stays within 50-140% of the target.
    assert 6 * longest / 4 <= 1.4 * 1200 and 6 * shortest / 4 >= 0.5 * 1200


def test_length_budget_follows_the_target():
    assert words_per_exchange(PARAMS) == round(1200 / 1.35 / 6)
    assert segment_max_tokens(PARAMS) > 1200 / 3 * 2  # room for a long-winded segment


def test_prompt_context_numbers_exchanges_across_segments():
    sample = make_sample(params=PARAMS.model_dump(), scenario={"domain": "x"}, noise=["a", "b"])
    ctx = segment_prompt_context(sample, PARAMS, 1, "summary", ["fix it"])
    assert (ctx["first_exchange"], ctx["last_exchange"], ctx["total_exchanges"]) == (3, 4, 6)
    assert ctx["feedback"] == ["fix it"] and ctx["running_summary"] == "summary"


def test_exchanges_become_alternating_turns():
    turns = exchanges_to_turns({"exchanges": [{"user": " hi ", "assistant": "hello"}]})
    assert [(t.role, t.content) for t in turns] == [("user", "hi"), ("assistant", "hello")]


def test_truncated_summary_is_cut_to_its_last_sentence():
    assert trim_to_sentence("One. Two! Three is cut") == "One. Two!"
    assert trim_to_sentence("no sentence end") == "no sentence end"


def test_history_stays_verbatim_while_it_fits_the_budget_then_is_summarised():
    from longweave.contracts import Turn

    turns = [Turn(role="user", content="a" * 40), Turn(role="assistant", content="b" * 40)]
    first = transcript_within_budget("", False, turns, budget_tokens=100)
    assert first == f"user: {'a' * 40}\nassistant: {'b' * 40}"
    second = transcript_within_budget(first, True, turns, budget_tokens=100)
    assert second is not None and second.startswith(first) and second.count("user: ") == 2
    # Past the budget (≈4 characters per token) a summary is needed ...
    assert transcript_within_budget(second, True, turns, budget_tokens=50) is None
    # ... and once the context is a summary it stays one.
    assert transcript_within_budget("short summary", False, turns, budget_tokens=10_000) is None
    assert transcript_within_budget("", False, turns, budget_tokens=0) is None

SCENARIO = {"assistant_persona": "a clerk", "audience": "citizens", "tone": "calm",
            "guidance": "Be brief.", "geography": {"city": "Oslo", "country": "Norway"}}


def test_stitch_puts_a_system_message_first():
    turns = stitch(SCENARIO, [[{"role": "user", "content": "q"}],
                              [{"role": "assistant", "content": "a"}]])
    assert [t.role for t in turns] == ["system", "user", "assistant"]
    assert "a clerk" in turns[0].content and "Oslo, Norway" in turns[0].content
