"""A batch with planted defects — truncated, looping, mis-structured, duplicated and
policy-violating records among clean ones — is caught completely by the rule checks, and
no clean record is rejected."""

import dataclasses
import random
from typing import Any

from longweave.checks import CheckInput, run_checks
from longweave.contracts import Turn
from longweave.validator import checks  # noqa: F401 - registers the shared checks
from longweave.validator.minhash import MemoryLSHIndex, best_duplicate, signature
from support.drafts import conversation_draft

SPEC = {"segments": 2, "turns_per_segment": 2, "target_tokens": 350, "length_tolerance": 0.6,
        "forbid_pii": True, "language": "en"}
TOPICS = ["a delayed train to Munich", "a duplicated bakery invoice in Lyon",
          "a solar quote in Adelaide", "a tenancy deposit in Manchester",
          "drip irrigation near Pune", "a cracked phone screen in São Paulo",
          "parental leave in Stockholm", "a customs hold in Rotterdam"]
NOUNS = ["ticket", "receipt", "deadline", "form", "reference", "manager", "refund", "office",
         "contract", "appointment", "schedule", "invoice", "account", "meter", "policy"]
VERBS = ["check", "send", "confirm", "review", "update", "sign", "request", "compare"]


TEMPLATES = [
    "Please {verb} the {noun} before {day}.",
    "I already tried to {verb} my {noun}, but the {noun2} was missing.",
    "The {noun} number is {num}, and the {noun2} arrived on {day}.",
    "Could you {verb} whether the {noun} covers the {noun2}?",
    "We usually {verb} a {noun} within {num} days of the {noun2}.",
    "If the {noun} is late, {verb} the {noun2} and keep a copy.",
    "My colleague said the {noun2} should {verb} the {noun} first.",
    "That depends on the {noun}; some offices {verb} it by {day}.",
    "Thanks, I will {verb} the {noun} and bring the {noun2} on {day}.",
    "Is there a fee to {verb} the {noun} after {num} weeks?",
]
DAYS = ["Monday", "Tuesday", "Friday", "the weekend", "next month", "the 14th"]


def sentence(rng: random.Random) -> str:
    return rng.choice(TEMPLATES).format(
        verb=rng.choice(VERBS), noun=rng.choice(NOUNS), noun2=rng.choice(NOUNS),
        day=rng.choice(DAYS), num=rng.randint(2, 9999))


def clean_record(index: int) -> list[Turn]:
    rng = random.Random(index)
    topic = TOPICS[index % len(TOPICS)]
    turns = [Turn(role="system", content="You are a helpful assistant.")]
    for i in range(8):
        role = "user" if i % 2 == 0 else "assistant"
        opener = f"About {topic}: " if i == 0 else ""
        n = 2 if role == "user" else 4
        turns.append(Turn(role=role, content=opener + " ".join(sentence(rng) for _ in range(n))))
    return turns


def planted_batch() -> list[tuple[str, CheckInput[Any], str | None]]:
    """(name, draft, the check that must catch it — None for clean records)."""
    batch = [(f"clean-{i}", conversation_draft(clean_record(i), SPEC, ["stop", "stop"]), None)
             for i in range(8)]
    truncated = conversation_draft(clean_record(20), SPEC, ["stop", "length"])
    looping = clean_record(21)
    looping[4] = Turn(role="assistant", content="I can help with that. " * 12)
    swapped = clean_record(22)
    swapped[3], swapped[4] = swapped[4], swapped[3]
    duplicate = clean_record(3)
    duplicate[2] = Turn(role="assistant", content=duplicate[2].content.replace("the", "a", 2))
    leaky = clean_record(23)
    leaky[5] = Turn(role="user", content=leaky[5].content + " Mail me at ivo.k@example.hr.")
    batch += [
        ("truncated", truncated, "truncation"),
        ("looping", conversation_draft(looping, SPEC, ["stop", "stop"]), "loop_detection"),
        ("mis-structured", conversation_draft(swapped, SPEC, ["stop", "stop"]), "turn_structure"),
        ("duplicate", conversation_draft(duplicate, SPEC, ["stop", "stop"]), "near_duplicate"),
        ("policy", conversation_draft(leaky, SPEC, ["stop", "stop"]), "pii_policy"),
    ]
    return batch


def validate_batch(batch):
    """Run the checks in arrival order against the batch's own LSH index, as the
    validator does against the run's."""
    index = MemoryLSHIndex()
    outcomes = {}
    for name, draft, _ in batch:
        sig = signature("\n".join(t.content for t in draft.dialogue))
        match = best_duplicate(sig, index.candidates(sig, exclude=name))
        checked = dataclasses.replace(draft, duplicate_of=match)
        failed = {r.name for r in run_checks("conversation", checked) if not r.passed}
        if not failed:
            index.add(name, sig)
        outcomes[name] = failed
    return outcomes


def test_every_planted_defect_is_caught_and_no_clean_record_is_rejected():
    batch = planted_batch()
    outcomes = validate_batch(batch)
    for name, _, expected in batch:
        if expected is None:
            assert outcomes[name] == set(), f"{name} falsely rejected: {outcomes[name]}"
        else:
            assert expected in outcomes[name], f"{name} not caught: {outcomes[name]}"
