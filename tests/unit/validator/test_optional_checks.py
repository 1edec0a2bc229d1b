"""Checks a request turns on: personal data, language, JSON replies, near-duplicates."""

from longweave.contracts import Turn
from longweave.contracts.messages import Language
from longweave.language import detect_language, identifier_languages
from longweave.paradigms.conversation.checks import (
    json_parseable,
    json_schema,
    required_fields,
    token_window,
)
from longweave.validator.checks import language, near_duplicate, pii_policy
from longweave.validator.minhash import Match
from support.drafts import conversation_draft

SPEC = {"segments": 1, "turns_per_segment": 2, "target_tokens": 400, "length_tolerance": 0.5}
ENGLISH = ("The invoice from March was charged twice to the account and you can see it in the "
           "statement that we sent to you last week, so we will refund it for you.")
FRENCH = ("La facture de mars a été débitée deux fois sur le compte et vous pouvez la voir "
          "dans le relevé que nous avons envoyé pour le client la semaine dernière.")


def draft(*contents, **spec):
    roles = ["user", "assistant"] * len(contents)
    turns = [Turn(role=r, content=c) for r, c in zip(roles, contents, strict=False)]
    return conversation_draft(turns=turns, spec={**SPEC, **spec}, finish_reasons=["stop"])


def test_pii_is_checked_only_when_the_request_forbids_it():
    leaky = draft("Write to me at ana.silva@example.pt", "Sure, or call +351 21 123 4567.")
    assert pii_policy(leaky).passed and pii_policy(leaky).details == {"applied": False}
    result = pii_policy(draft("Write to me at ana.silva@example.pt", "ok", forbid_pii=True))
    assert not result.passed and "email" in result.reason and result.segment_indexes == [0]
    phone = pii_policy(draft("hello", "Call +351 21 123 4567 today.", forbid_pii=True))
    assert not phone.passed and "phone" in phone.reason
    clean = draft("What did we pay in 2024?", "You paid 1,250 EUR on 12 March.", forbid_pii=True)
    assert pii_policy(clean).passed


def test_language_check_compares_with_the_requested_language():
    assert language(draft(ENGLISH, ENGLISH)).details == {"applied": False}
    assert language(draft(ENGLISH, ENGLISH, language="en")).passed
    wrong = language(draft(FRENCH, FRENCH, language="en"))
    assert not wrong.passed and "detected: fr" in wrong.reason
    assert language(draft(FRENCH, FRENCH, language="fr")).passed


def test_contract_languages_are_the_detectors_languages():
    assert set(Language.__args__) == set(identifier_languages())
    assert detect_language("too short") is None


SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"},
                                           "confidence": {"type": "number"}},
          "required": ["answer"]}


def test_json_replies_parse_match_the_schema_and_fill_required_fields():
    spec = {"assistant_json_schema": SCHEMA, "required_fields": ["answer", "confidence"]}
    good = draft("q", '{"answer": "yes", "confidence": 0.9}', **spec)
    assert json_parseable(good).passed and json_schema(good).passed
    assert required_fields(good).passed
    unparseable = draft("q", "yes, definitely", **spec)
    assert not json_parseable(unparseable).passed
    wrong_type = draft("q", '{"answer": 3, "confidence": 0.9}', **spec)
    result = json_schema(wrong_type)
    assert not result.passed and "at answer" in result.reason
    empty = draft("q", '{"answer": "yes", "confidence": null}', **spec)
    missing = required_fields(empty)
    assert not missing.passed and missing.details["missing"] == ["confidence"]


def test_json_checks_do_nothing_without_a_schema():
    plain = draft("q", "plain text")
    assert all(c(plain).passed for c in (json_parseable, json_schema, required_fields))


def test_near_duplicate_fails_with_the_sample_it_copies():
    assert near_duplicate(draft("a", "b")).passed
    copy = conversation_draft(turns=[], spec=SPEC, duplicate_of=Match("run-1-000003", 0.91))
    result = near_duplicate(copy)
    assert not result.passed and "run-1-000003" in result.reason


def test_token_window_prefers_the_endpoint_tokenizer():
    counted = conversation_draft(turns=[], spec=SPEC, token_count=390, tokenizer="endpoint")
    result = token_window(counted)
    assert result.passed and result.details["tokenizer"] == "endpoint"
    assert not token_window(conversation_draft(turns=[], spec=SPEC, token_count=700)).passed


def test_verifiable_constraint_layers_are_checked_with_their_spec():
    from longweave.validator.checks import constraint_layers

    layers = [{"kind": "length", "instruction": "at most 12 words per reply",
               "spec": {"check": "max_words_per_turn", "value": 12, "role": "assistant"}},
              {"kind": "deepen", "instruction": "explore trade-offs"}]  # no spec: not checked
    short = conversation_draft(turns=[Turn(role="user", content="q"),
                         Turn(role="assistant", content="Yes, the refund arrives Friday.")],
                  spec=SPEC, layers=layers)
    assert constraint_layers(short).passed
    assert constraint_layers(short).details["checked"] == ["max_words_per_turn"]
    long = conversation_draft(turns=[Turn(role="user", content="q"),
                        Turn(role="assistant", content=ENGLISH)], spec=SPEC, layers=layers)
    result = constraint_layers(long)
    assert not result.passed and "exceed 12 words" in result.reason
    assert constraint_layers(draft("a", "b")).passed  # a sample without layers
