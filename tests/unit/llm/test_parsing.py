import pytest

from longweave.llm.parsing import ReplyParseError, extract_json, parse_structured

SCHEMA = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}


@pytest.mark.parametrize("text", [
    '{"a": 1}',
    '```json\n{"a": 1}\n```',
    'Sure! Here is the JSON:\n```\n{"a": 1}\n```\nAnything else?',
    'Here you go: {"a": 1} — hope it helps',
])
def test_json_is_recovered_from_fences_and_prose(text):
    assert extract_json(text) == {"a": 1}


def test_garbage_is_a_parse_error():
    with pytest.raises(ReplyParseError, match="not valid JSON"):
        extract_json("no json here {")


def test_truncated_reply_is_never_accepted_even_if_it_parses():
    with pytest.raises(ReplyParseError, match="finish_reason=length"):
        parse_structured('{"a": 1}', "length", SCHEMA)


def test_schema_violation_names_the_place():
    with pytest.raises(ReplyParseError, match="at a"):
        parse_structured('{"a": "one"}', "stop", SCHEMA)
