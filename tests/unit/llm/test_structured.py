import json

from longweave.llm.structured import reask_body, with_structured_output

SCHEMA = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
BODY = {"model": "m", "max_tokens": 5, "messages": [
    {"role": "system", "content": "be brief"}, {"role": "user", "content": "give me a"}]}


def test_json_schema_mode_constrains_decoding_and_leaves_the_prompt():
    body = with_structured_output(BODY, SCHEMA, "thing", "json_schema")
    assert body["response_format"] == {"type": "json_schema", "json_schema": {
        "name": "thing", "schema": SCHEMA, "strict": True}}
    assert body["messages"] == BODY["messages"]


def test_json_object_mode_asks_for_json_and_prompts_the_schema():
    body = with_structured_output(BODY, SCHEMA, "thing", "json_object")
    assert body["response_format"] == {"type": "json_object"}
    last = body["messages"][-1]["content"]
    assert last.startswith("give me a") and json.dumps(SCHEMA) in last
    assert BODY["messages"][-1]["content"] == "give me a"  # the caller's list is untouched
    assert body["messages"][0] == BODY["messages"][0]  # system message stays first


def test_none_mode_only_prompts():
    body = with_structured_output(BODY, SCHEMA, "thing", "none")
    assert "response_format" not in body
    assert "JSON Schema" in body["messages"][-1]["content"]


def test_reask_carries_the_reply_and_the_error():
    body = reask_body(BODY, '{"a": "x"}', "reply does not match the schema at a")
    assert body["messages"][-2] == {"role": "assistant", "content": '{"a": "x"}'}
    assert "does not match the schema at a" in body["messages"][-1]["content"]
    assert len(BODY["messages"]) == 2
