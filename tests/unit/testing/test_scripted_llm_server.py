"""The scripted OpenAI-compatible test server, exercised over real TCP with httpx."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from longweave.testing.scripted_llm_server import (
    DEFAULT_TEXT,
    VARIED_MAX_CHARS,
    Reply,
    Rule,
    ScriptedLLMServer,
    minimal_instance,
    varied_instance,
    varied_text,
)

pytestmark = pytest.mark.timeout(20)

SERVICES_DIR = Path(__file__).resolve().parents[3] / "services"


def chat_body(user: str = "hello there", system: str | None = None, **extra: Any) -> dict:
    messages = [{"role": "system", "content": system}] if system is not None else []
    messages.append({"role": "user", "content": user})
    return {"model": "test-model", "messages": messages, **extra}


def schema_body(schema: dict[str, Any], user: str = "give me json") -> dict:
    response_format = {"type": "json_schema",
                       "json_schema": {"name": "out", "schema": schema, "strict": True}}
    return chat_body(user, response_format=response_format)


def content_of(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return response.json()["choices"][0]["message"]["content"]


@pytest.fixture
async def server() -> AsyncIterator[ScriptedLLMServer]:
    async with ScriptedLLMServer() as running:
        yield running


@pytest.fixture
async def client(server: ScriptedLLMServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=5) as http:
        yield http


def read_timeout(seconds: float) -> httpx.Timeout:
    """A short read timeout only: connecting and writing may be slow on a loaded machine."""
    return httpx.Timeout(5, read=seconds)


async def post_chat(client: httpx.AsyncClient, body: dict) -> httpx.Response:
    return await client.post("/chat/completions", json=body)


# ---- plain routes ----------------------------------------------------------------------


async def test_default_reply_has_the_openai_shape_and_word_usage(client: httpx.AsyncClient):
    response = await post_chat(client, chat_body("one two three", system="be brief"))

    payload = response.json()
    assert payload["object"] == "chat.completion"
    assert payload["id"].startswith("chatcmpl-")
    assert isinstance(payload["created"], int)
    assert payload["model"] == "test-model"
    choice = payload["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": DEFAULT_TEXT}
    assert choice["finish_reason"] == "stop"
    completion_words = len(DEFAULT_TEXT.split())
    assert payload["usage"] == {"prompt_tokens": 5, "completion_tokens": completion_words,
                                "total_tokens": 5 + completion_words}


async def test_models_health_and_tokenize(server: ScriptedLLMServer, client: httpx.AsyncClient):
    models = (await client.get("/models")).json()
    health = (await client.get(f"{server.url}/health")).json()
    tokens = (await client.post(f"{server.url}/tokenize", json={"content": " a  b c "})).json()
    again = (await client.post(f"{server.url}/tokenize", json={"content": "c"})).json()

    assert models["data"][0]["id"] == server.model
    assert health == {"status": "ok"}
    assert len(tokens["tokens"]) == 3
    assert again["tokens"] == tokens["tokens"][2:]


async def test_unknown_route_is_404_and_bad_body_is_400(server: ScriptedLLMServer,
                                                        client: httpx.AsyncClient):
    assert (await client.get(f"{server.url}/nope")).status_code == 404
    assert (await client.get("/chat/completions")).status_code == 405
    bad = await client.post("/chat/completions", content=b"{not json")
    no_messages = await post_chat(client, {"model": "m"})

    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_request_error"
    assert no_messages.status_code == 400


# ---- rules -----------------------------------------------------------------------------


async def test_first_matching_rule_wins_and_its_last_reply_repeats(server: ScriptedLLMServer,
                                                                   client: httpx.AsyncClient):
    server.set_rules([
        Rule(name="judge", match="(?i)judge", replies=[Reply(content="first"),
                                                        Reply(content="second")]),
        Rule(name="catch-all", match="", replies=[Reply(content="other")]),
    ])

    judged = [content_of(await post_chat(client, chat_body("please JUDGE this")))
              for _ in range(3)]
    other = content_of(await post_chat(client, chat_body("generate")))

    assert judged == ["first", "second", "second"]
    assert other == "other"
    assert server.stats()["rule_hits"] == {"judge": 3, "catch-all": 1}


async def test_a_templated_reply_quotes_its_prompt(server: ScriptedLLMServer,
                                                   client: httpx.AsyncClient):
    server.set_rules([Rule(replies=[Reply(
        captures=r"\[P1\] (?P<first>[^.]+)\.(?:(?s:.*)\[P2\] (?P<second>[^.]+)\.)?",
        content={"quote": "{first}", "also": ["{second}"], "kept": "{unknown}", "n": 3})])])
    both = json.loads(content_of(await post_chat(client, chat_body(
        "[P1] The cat sat on the mat. More.\n[P2] Dogs bark at night. Yes."))))
    assert both == {"quote": "The cat sat on the mat", "also": ["Dogs bark at night"],
                    "kept": "{unknown}", "n": 3}
    one = json.loads(content_of(await post_chat(client, chat_body("[P1] Only this one."))))
    assert one["quote"] == "Only this one" and one["also"] == [""]
    none = json.loads(content_of(await post_chat(client, chat_body("no passages"))))
    assert none["quote"] == ""


async def test_a_templated_value_can_be_a_captured_integer(server: ScriptedLLMServer,
                                                         client: httpx.AsyncClient):
    server.set_rules([Rule(replies=[Reply(
        captures=r"chapters (?P<a>\d+) and (?P<b>\w+)",
        content={"chapters": ["{a:int}", "{b:int}"], "said": "chapter {a:int}"})])])
    reply = json.loads(content_of(await post_chat(client, chat_body(
        "use chapters 3 and four"))))
    # Only a whole value of digits becomes a number; anything else stays text.
    assert reply == {"chapters": [3, "{b:int}"], "said": "chapter {a:int}"}


async def test_cycling_rule_starts_over(server: ScriptedLLMServer, client: httpx.AsyncClient):
    server.set_rules([{"match": "x", "cycle": True,
                       "replies": [{"content": "a"}, {"content": "b"}]}])

    replies = [content_of(await post_chat(client, chat_body("x"))) for _ in range(5)]

    assert replies == ["a", "b", "a", "b", "a"]


@pytest.mark.parametrize(("field", "expected"), [
    ("any", "matched"),        # "role: content" lines: "system: secret" is there
    ("system", "matched"),
    ("user", "default"),
    ("last_user", "default"),
])
async def test_rule_can_match_a_chosen_field(server: ScriptedLLMServer, client: httpx.AsyncClient,
                                             field: str, expected: str):
    server.set_rules([
        {"match": "^system: secret|^secret", "field": field, "replies": [{"content": "matched"}]},
        {"replies": [{"content": "default"}]},
    ])

    reply = content_of(await post_chat(client, chat_body("is it secret? no", system="secret")))

    assert reply == expected


async def test_last_user_sees_only_the_last_user_message(server: ScriptedLLMServer,
                                                         client: httpx.AsyncClient):
    server.set_rules([{"match": "^retry$", "field": "last_user", "replies": [{"content": "2nd"}]}])
    body = {"messages": [{"role": "user", "content": "first"},
                         {"role": "assistant", "content": "..."},
                         {"role": "user", "content": [{"type": "text", "text": "retry"}]}]}

    assert content_of(await post_chat(client, body)) == "2nd"


async def test_rule_can_require_a_model(server: ScriptedLLMServer, client: httpx.AsyncClient):
    server.set_rules([{"model": "^judge-", "replies": [{"content": "judge"}]}])

    as_judge = content_of(await post_chat(client, {**chat_body(), "model": "judge-large"}))
    as_generator = content_of(await post_chat(client, chat_body()))

    assert (as_judge, as_generator) == ("judge", DEFAULT_TEXT)


async def test_json_content_is_serialized(server: ScriptedLLMServer, client: httpx.AsyncClient):
    server.set_rules([{"replies": [{"content": {"score": 4, "tags": ["a"]}}]}])

    assert json.loads(content_of(await post_chat(client, chat_body()))) == {"score": 4,
                                                                             "tags": ["a"]}


def test_invalid_rules_are_rejected():
    with pytest.raises(ValueError):
        Rule(match="(")
    with pytest.raises(ValueError):
        Rule.model_validate({"replies": [{"fault": "explode"}]})
    with pytest.raises(ValueError):
        Reply(status=302)


# ---- schema-derived default replies ----------------------------------------------------

SCHEMAS: dict[str, dict[str, Any]] = {
    "pydantic-like": {
        "$defs": {
            "Turn": {"type": "object", "properties": {
                "role": {"enum": ["user", "assistant"]},
                "text": {"type": "string", "minLength": 40, "maxLength": 60},
            }, "required": ["role", "text"], "additionalProperties": False},
        },
        "type": "object",
        "properties": {
            "turns": {"type": "array", "items": {"$ref": "#/$defs/Turn"}, "minItems": 2},
            "score": {"type": "integer", "minimum": 1, "maximum": 5},
            "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "note": {"anyOf": [{"type": "null"}, {"type": "string"}], "default": None},
            "ok": {"type": "boolean"},
            "kind": {"const": "qa"},
        },
        "required": ["turns", "score", "ratio", "kind"],
        "additionalProperties": False,
    },
    "allOf-and-formats": {
        "allOf": [
            {"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}},
             "required": ["at"]},
            {"properties": {"id": {"type": "string", "format": "uuid"},
                            "n": {"type": "integer", "minimum": -10, "maximum": -3,
                                  "multipleOf": 2}},
             "required": ["id", "n"]},
        ],
    },
    "recursive": {
        "$defs": {"Node": {"type": "object", "properties": {
            "value": {"type": "integer"},
            "next": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]},
        }, "required": ["value", "next"]}},
        "$ref": "#/$defs/Node",
    },
    "unique-array": {"type": "array", "minItems": 3, "uniqueItems": True,
                     "items": {"type": "string", "maxLength": 8}},
    "nullable-type-list": {"type": ["null", "integer"], "exclusiveMinimum": 7},
}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_minimal_instance_is_valid(name: str):
    schema = SCHEMAS[name]

    instance = minimal_instance(schema)

    jsonschema.validate(instance, schema)
    assert minimal_instance(schema) == instance  # deterministic


async def test_unmatched_json_schema_request_gets_a_valid_instance(client: httpx.AsyncClient):
    schema = SCHEMAS["pydantic-like"]

    parsed = json.loads(content_of(await post_chat(client, schema_body(schema))))

    jsonschema.validate(parsed, schema)
    assert len(parsed["turns"]) == 2 and parsed["score"] == 1


async def test_rule_without_content_also_gets_the_schema_instance(server: ScriptedLLMServer,
                                                                  client: httpx.AsyncClient):
    schema = SCHEMAS["allOf-and-formats"]
    server.set_rules([{"replies": [{"latency_s": 0.01}]}])

    jsonschema.validate(json.loads(content_of(await post_chat(client, schema_body(schema)))),
                        schema)


async def test_json_object_mode_gets_an_empty_object(client: httpx.AsyncClient):
    body = chat_body(response_format={"type": "json_object"})

    assert json.loads(content_of(await post_chat(client, body))) == {}


# ---- varied default replies ("fill": "varied") -------------------------------------------

SEGMENT_LIKE = {
    "type": "object",
    "properties": {"exchanges": {
        "type": "array", "minItems": 3, "maxItems": 3,
        "items": {"type": "object", "additionalProperties": False,
                  "required": ["user", "assistant"],
                  "properties": {"user": {"type": "string", "minLength": 20, "maxLength": 80},
                                 "assistant": {"type": "string", "minLength": 150,
                                               "maxLength": 300}}},
    }},
    "required": ["exchanges"],
}


def repeated_phrases(text: str, size: int = 5) -> int:
    words = text.lower().replace(".", " ").replace(",", " ").split()
    grams = [tuple(words[i:i + size]) for i in range(len(words) - size + 1)]
    return max((grams.count(g) for g in grams), default=0)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_varied_instance_is_valid(name: str):
    schema = SCHEMAS[name]

    instance = varied_instance(schema, "some request")

    jsonschema.validate(instance, schema)
    assert varied_instance(schema, "some request") == instance  # deterministic per key


def test_varied_strings_fill_their_bounds_without_loops():
    instance = varied_instance(SEGMENT_LIKE, "k")

    jsonschema.validate(instance, SEGMENT_LIKE)
    texts = [text for exchange in instance["exchanges"] for text in exchange.values()]
    assert len(set(texts)) == len(texts)
    for exchange in instance["exchanges"]:
        # Filled close to maxLength: a sentence is at most ~70 characters.
        assert len(exchange["assistant"]) > 300 - 80
        assert repeated_phrases(exchange["assistant"]) <= 2


def test_varied_text_honours_tight_and_missing_bounds():
    assert 5 <= len(varied_text("a", 5, 10)) <= 10  # no sentence fits: padded words
    assert len(varied_text("b", 0, 3)) <= 3
    unbounded = varied_text("c")
    assert 20 <= len(unbounded) <= 160 and unbounded.endswith((".", "?"))
    assert len(varied_text("d", 0, 10**6)) <= VARIED_MAX_CHARS
    assert len(varied_text("e", VARIED_MAX_CHARS + 50)) >= VARIED_MAX_CHARS + 50


async def test_varied_reply_differs_per_request_and_repeats_per_request(
        server: ScriptedLLMServer, client: httpx.AsyncClient):
    server.set_rules([{"replies": [{"fill": "varied"}]}])

    first = content_of(await post_chat(client, schema_body(SEGMENT_LIKE, "sample 1")))
    again = content_of(await post_chat(client, schema_body(SEGMENT_LIKE, "sample 1")))
    other = content_of(await post_chat(client, schema_body(SEGMENT_LIKE, "sample 2")))
    reseeded = content_of(await post_chat(client, {**schema_body(SEGMENT_LIKE, "sample 1"),
                                                   "seed": 7}))
    text = content_of(await post_chat(client, chat_body("plain")))

    jsonschema.validate(json.loads(first), SEGMENT_LIKE)
    assert first == again
    assert len({first, other, reseeded}) == 3
    assert text != DEFAULT_TEXT and text.endswith((".", "?"))


async def test_varied_reply_depends_on_the_server_seed():
    rules = [{"replies": [{"fill": "varied"}]}]
    replies = []
    for seed in (0, 0, 1):
        async with ScriptedLLMServer(rules=rules, seed=seed) as server, \
                httpx.AsyncClient(base_url=server.base_url, timeout=5) as http:
            replies.append(content_of(await post_chat(http, schema_body(SEGMENT_LIKE))))

    assert replies[0] == replies[1] != replies[2]


async def test_scripted_content_wins_over_fill(server: ScriptedLLMServer,
                                               client: httpx.AsyncClient):
    server.set_rules([{"replies": [{"content": "fixed", "fill": "varied"}]}])

    assert content_of(await post_chat(client, chat_body())) == "fixed"


# ---- faults ----------------------------------------------------------------------------


async def test_malformed_json_fault(server: ScriptedLLMServer, client: httpx.AsyncClient):
    server.set_rules([{"replies": [{"content": {"a": 1}, "fault": "malformed_json"}]}])

    text = content_of(await post_chat(client, chat_body()))

    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


async def test_fenced_json_fault(server: ScriptedLLMServer, client: httpx.AsyncClient):
    server.set_rules([{"replies": [{"content": {"a": 1}, "fault": "fenced_json"}]}])

    text = content_of(await post_chat(client, chat_body()))

    prose, fenced = text.split("```json\n", 1)
    assert prose.strip()
    assert json.loads(fenced.split("```", 1)[0]) == {"a": 1}


async def test_truncate_fault(server: ScriptedLLMServer, client: httpx.AsyncClient):
    content = "0123456789" * 10
    server.set_rules([{"replies": [{"content": content, "fault": "truncate"}]}])

    choice = (await post_chat(client, chat_body())).json()["choices"][0]

    assert choice["finish_reason"] == "length"
    assert choice["message"]["content"] == content[:50]


async def test_disconnect_fault_closes_without_a_response(server: ScriptedLLMServer,
                                                          client: httpx.AsyncClient):
    server.set_rules([{"match": "drop", "replies": [{"fault": "disconnect"}]}])

    with pytest.raises(httpx.RemoteProtocolError):
        await post_chat(client, chat_body("drop"))
    assert (await post_chat(client, chat_body("fine"))).status_code == 200
    assert server.stats()["outcomes"] == {"disconnect": 1, "ok": 1}


async def test_timeout_fault_hangs_until_the_client_gives_up(server: ScriptedLLMServer,
                                                             client: httpx.AsyncClient):
    server.set_rules([{"match": "hang", "replies": [{"fault": "timeout"}]}])
    started = time.perf_counter()

    with pytest.raises(httpx.ReadTimeout):
        await client.post("/chat/completions", json=chat_body("hang"), timeout=read_timeout(0.3))

    assert time.perf_counter() - started >= 0.3
    assert server.stats()["outcomes"] == {"timeout": 1}
    assert (await post_chat(client, chat_body("fine"))).status_code == 200


async def test_stop_ends_a_hung_timeout_reply():
    server = ScriptedLLMServer(rules=[{"replies": [{"fault": "timeout"}]}])
    await server.start()
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        pending = asyncio.create_task(post_chat(http, chat_body()))
        await asyncio.sleep(0.1)
        started = time.perf_counter()
        await server.stop()
        with pytest.raises(httpx.TransportError):
            await pending
    assert time.perf_counter() - started < 5  # not the client's 30 s timeout


@pytest.mark.parametrize("status", [400, 500, 503])
async def test_scripted_error_status_has_an_openai_error_body(server: ScriptedLLMServer,
                                                              client: httpx.AsyncClient,
                                                              status: int):
    server.set_rules([{"replies": [{"status": status, "error_message": "nope"}]}])

    response = await post_chat(client, chat_body())

    assert response.status_code == status
    error = response.json()["error"]
    assert error["message"] == "nope" and error["code"] == status and error["type"]


async def test_429_carries_retry_after(server: ScriptedLLMServer, client: httpx.AsyncClient):
    server.set_rules([{"replies": [{"status": 429, "retry_after": 2},
                                   {"status": 429, "retry_after": 0.25}]}])

    whole = await post_chat(client, chat_body())
    fractional = await post_chat(client, chat_body())

    assert whole.status_code == 429 and whole.headers["retry-after"] == "2"
    assert whole.json()["error"]["type"] == "rate_limit_error"
    assert fractional.headers["retry-after"] == "0.25"
    assert fractional.headers["retry-after-ms"] == "250"


async def test_reply_latency(server: ScriptedLLMServer, client: httpx.AsyncClient):
    server.set_rules([{"replies": [{"latency_s": 0.2}]}])
    started = time.perf_counter()

    await post_chat(client, chat_body())

    assert time.perf_counter() - started >= 0.19


# ---- probabilistic faults --------------------------------------------------------------


async def statuses_of(server: ScriptedLLMServer, count: int) -> list[int]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=5) as http:
        return [(await post_chat(http, chat_body())).status_code for _ in range(count)]


async def test_probabilistic_faults_are_deterministic_for_a_seed():
    options = dict(seed=7, error_rate_429=0.3, error_rate_500=0.2, retry_after_s=0.5)
    async with ScriptedLLMServer(**options) as first, ScriptedLLMServer(**options) as second:
        run_one = await statuses_of(first, 40)
        run_two = await statuses_of(second, 40)
        first.reset()
        rerun = await statuses_of(first, 40)
        stats = first.stats()

    assert run_one == run_two == rerun
    assert {200, 429, 500} == set(run_one)
    assert stats["statuses"] == {str(s): run_one.count(s) for s in (200, 429, 500)}
    assert stats["outcomes"]["injected_429"] == run_one.count(429)


async def test_injected_faults_do_not_advance_scripted_replies():
    rules = [{"cycle": True, "replies": [{"content": "a"}, {"content": "b"}]}]
    async with ScriptedLLMServer(rules=rules, seed=3, error_rate_429=0.5) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            responses = [await post_chat(http, chat_body()) for _ in range(12)]

    contents = [r.json()["choices"][0]["message"]["content"] for r in responses
                if r.status_code == 200]
    assert 0 < len(contents) < 12
    assert contents == ["a", "b"] * (len(contents) // 2) + ["a"] * (len(contents) % 2)


# ---- capacity, keep-alive, disconnects ---------------------------------------------------


async def test_capacity_limits_concurrency():
    async with ScriptedLLMServer(capacity=2, default_latency_s=0.2) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=5) as http:
            started = time.perf_counter()
            responses = await asyncio.gather(*(post_chat(http, chat_body()) for _ in range(6)))
            elapsed = time.perf_counter() - started
        stats = server.stats()

    assert all(r.status_code == 200 for r in responses)
    assert stats["max_concurrency"] == 2
    assert stats["max_queued"] >= 1
    assert elapsed >= 0.55


async def test_a_client_leaving_a_queue_frees_its_slot():
    async with ScriptedLLMServer(capacity=1) as server:
        server.set_rules([{"match": "slow", "replies": [{"latency_s": 30}]}])
        async with httpx.AsyncClient(base_url=server.base_url, timeout=5) as http:
            with pytest.raises(httpx.ReadTimeout):
                await http.post("/chat/completions", json=chat_body("slow"),
                                timeout=read_timeout(0.2))
            started = time.perf_counter()
            assert (await post_chat(http, chat_body("quick"))).status_code == 200
            assert time.perf_counter() - started < 5  # not the 30 s of the abandoned reply
        assert server.stats()["outcomes"] == {"client_gone": 1, "ok": 1}


async def test_keep_alive_reuses_one_connection(server: ScriptedLLMServer,
                                                client: httpx.AsyncClient):
    server.set_rules([{"replies": [{"latency_s": 0.001}]}])

    for _ in range(50):
        assert (await post_chat(client, chat_body())).status_code == 200

    assert server.stats()["connections_total"] == 1


async def test_chunked_request_body(client: httpx.AsyncClient):
    async def chunks() -> AsyncIterator[bytes]:
        raw = json.dumps(chat_body("chunked body")).encode()
        yield raw[:10]
        yield raw[10:]

    response = await client.post("/chat/completions", content=chunks())

    assert content_of(response) == DEFAULT_TEXT


# ---- statistics and control routes -------------------------------------------------------


async def test_recent_log_records_who_was_called():
    async with ScriptedLLMServer(log_size=3, rules=[{"name": "judge", "match": "judge"}]) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            for prompt in ("generate", "judge 1", "judge 2", "judge 3"):
                await post_chat(http, chat_body(prompt))
        stats = server.stats()

    assert stats["requests_total"] == 4
    assert stats["rule_hits"] == {"judge": 3} and stats["unmatched"] == 1
    assert [(r["rule"], r["last_user"], r["status"]) for r in stats["recent"]] == [
        ("judge", "judge 1", 200), ("judge", "judge 2", 200), ("judge", "judge 3", 200)]
    assert all(r["model"] == "test-model" for r in stats["recent"])


async def test_control_routes(server: ScriptedLLMServer, client: httpx.AsyncClient):
    control = f"{server.url}/_control"
    rules = {"rules": [{"name": "r", "replies": [{"content": "x"}, {"content": "y"}]}]}

    assert (await client.put(f"{control}/rules", json=rules)).json() == {"rules": 1}
    assert content_of(await post_chat(client, chat_body())) == "x"
    stats = (await client.get(f"{control}/stats")).json()
    assert (await client.post(f"{control}/reset")).status_code == 200
    after_reset = (await client.get(f"{control}/stats")).json()
    bad = await client.put(f"{control}/rules", json=[{"replies": [{"fault": "nope"}]}])

    assert stats["rule_hits"] == {"r": 1} and stats["requests_total"] == 1
    assert after_reset["requests_total"] == 0 and after_reset["rule_hits"] == {"r": 0}
    assert content_of(await post_chat(client, chat_body())) == "x"  # rewound
    assert bad.status_code == 400


def test_thread_mode_serves_synchronous_clients():
    with ScriptedLLMServer(rules=[{"replies": [{"content": "sync"}]}]) as server:
        with httpx.Client(base_url=server.base_url) as http:
            reply = http.post("/chat/completions", json=chat_body()).json()
        server.set_rules([{"replies": [{"content": "changed"}]}])
        with httpx.Client(base_url=server.base_url) as http:
            changed = http.post("/chat/completions", json=chat_body()).json()
        stats = server.stats()

    assert reply["choices"][0]["message"]["content"] == "sync"
    assert changed["choices"][0]["message"]["content"] == "changed"
    assert stats["requests_total"] == 2


def test_cli_serves_until_terminated(tmp_path: Path):
    rules_file = tmp_path / "rules.json"
    rules_file.write_text(json.dumps([{"replies": [{"content": "from file"}]}]))
    env = {**os.environ, "PYTHONPATH": str(SERVICES_DIR)}
    command = [sys.executable, "-m", "longweave.testing.scripted_llm_server", "--port", "0",
               "--capacity", "4", "--latency", "0.01", "--rules", str(rules_file)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline().strip()
            assert line.startswith("listening on http://127.0.0.1:")
            url = line.removeprefix("listening on ")
            reply = httpx.post(f"{url}/v1/chat/completions", json=chat_body()).json()
            assert reply["choices"][0]["message"]["content"] == "from file"
        finally:
            process.terminate()
        assert process.wait(timeout=5) == 0
