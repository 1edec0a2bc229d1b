"""Structured output against the scripted server, in each capability mode: constrained
decoding, JSON mode and prompted JSON; repair, validation, the one re-ask, truncation."""

from __future__ import annotations

import pytest

from longweave.llm import ReplyParseError
from longweave.observability import ServiceMetrics
from support.gateway import HELLO
from support.mesh import metric_value

pytestmark = pytest.mark.integration

SCHEMA = {"type": "object", "properties": {"city": {"type": "string", "minLength": 2},
                                           "count": {"type": "integer", "minimum": 1}},
          "required": ["city", "count"], "additionalProperties": False}
GOOD = {"city": "Lyon", "count": 3}


def script(server, *replies, match=""):
    server.set_rules([{"name": "r", "match": match, "replies": list(replies)}])


def last_users(server):
    return [r["last_user"] for r in server.stats()["recent"]]


async def test_json_schema_mode_sends_the_schema_for_constrained_decoding(scripted, make_client):
    script(scripted, {"content": None})  # the server answers with an instance of the schema
    completion = await make_client(scripted).chat(HELLO, max_tokens=50, json_schema=SCHEMA)
    assert set(completion.parsed) == {"city", "count"}
    assert scripted.stats()["requests_total"] == 1


async def test_fenced_json_after_prose_is_repaired_without_asking_again(scripted, make_client):
    script(scripted, {"content": GOOD, "fault": "fenced_json"})
    completion = await make_client(scripted).chat(HELLO, max_tokens=50, json_schema=SCHEMA)
    assert completion.text.startswith("Sure!") and completion.parsed == GOOD
    assert scripted.stats()["requests_total"] == 1


async def test_malformed_json_is_asked_for_once_more_with_the_error(scripted, make_client):
    script(scripted, {"content": GOOD, "fault": "malformed_json"}, {"content": GOOD})
    metrics = ServiceMetrics("judge")
    completion = await make_client(scripted, metrics=metrics, role="judge").chat(
        HELLO, max_tokens=50, json_schema=SCHEMA)
    assert completion.parsed == GOOD and completion.attempts == 2
    assert completion.usage.completion_tokens > 2  # both replies are paid for and counted
    reask = last_users(scripted)[1]
    assert reask.startswith("That reply was invalid: reply is not valid JSON")
    assert metric_value(metrics.exposition().decode(), "longweave_llm_errors_total",
                        role="judge", error_class="invalid_output") == 1


async def test_a_schema_violation_is_asked_again_naming_the_field(scripted, make_client):
    script(scripted, {"content": {"city": "Lyon", "count": 0}}, {"content": GOOD})
    completion = await make_client(scripted).chat(HELLO, max_tokens=50, json_schema=SCHEMA)
    assert completion.parsed == GOOD
    assert "does not match the schema at count" in last_users(scripted)[1]


async def test_only_one_reask(scripted, make_client):
    script(scripted, {"content": "no JSON here"})
    with pytest.raises(ReplyParseError):
        await make_client(scripted).chat(HELLO, max_tokens=50, json_schema=SCHEMA)
    assert scripted.stats()["requests_total"] == 2


async def test_a_reply_cut_at_max_tokens_is_never_accepted(scripted, make_client):
    script(scripted, {"content": GOOD, "fault": "truncate"})
    metrics = ServiceMetrics("generator")
    with pytest.raises(ReplyParseError, match="truncated at max_tokens"):
        await make_client(scripted, metrics=metrics).chat(HELLO, max_tokens=5, json_schema=SCHEMA)
    assert scripted.stats()["requests_total"] == 1  # asking again would be cut off again
    assert metric_value(metrics.exposition().decode(), "longweave_llm_errors_total",
                        error_class="truncated") == 1


async def test_a_plain_reply_cut_at_max_tokens_says_so(scripted, make_client):
    script(scripted, {"content": "one two three four", "fault": "truncate"})
    completion = await make_client(scripted).chat(HELLO, max_tokens=2)
    assert completion.truncated and completion.finish_reason == "length"


async def test_json_object_mode_uses_json_mode_and_puts_the_schema_in_the_prompt(
        scripted, make_client):
    # Default content in JSON mode is "{}": it parses only if the request asked for JSON mode.
    script(scripted, {"content": None}, match="(?s)conforms to this JSON Schema")
    completion = await make_client(scripted, structured_output="json_object").chat(
        HELLO, max_tokens=50, json_schema={"type": "object"})
    assert completion.parsed == {}
    assert scripted.stats()["rule_hits"]["r"] == 1


async def test_prompted_mode_parses_prose_wrapped_json(scripted, make_client):
    script(scripted, {"content": 'Here you go: {"city": "Lyon", "count": 3} — enjoy!'},
           match="(?s)conforms to this JSON Schema")
    completion = await make_client(scripted, structured_output="none").chat(
        HELLO, max_tokens=50, json_schema=SCHEMA)
    assert completion.parsed == GOOD
    assert scripted.stats()["rule_hits"]["r"] == 1 and scripted.stats()["unmatched"] == 0
