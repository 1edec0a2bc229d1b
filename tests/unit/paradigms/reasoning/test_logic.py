"""Reasoning contexts over real books: the length asked for, facts at the offsets and
depths recorded (and nowhere else), passages that hold them, free-form passages far apart;
traces compared with their quotes and answers; the trace layouts."""

from pathlib import Path

import pytest

from longweave.corpus.chunks import structure
from longweave.llm.tokens import estimate_tokens
from longweave.paradigms.reasoning.logic import (
    assistant_message,
    concludes_with,
    quotes_in,
)
from longweave.reasoning import KINDS
from support.documents import corpus_entries
from support.reasoning import reasoning, reasoning_sample

ENTRIES, TEXTS = corpus_entries()
BOOKS = Path(__file__).resolve().parents[5] / "shared" / "books"


def test_a_plan_is_deterministic_for_its_seed():
    params = reasoning.parse_params({"context_tokens": 3000})
    assert reasoning.plan_sample(params, ENTRIES, 4, 9) == \
        reasoning.plan_sample(params, ENTRIES, 4, 9)
    assert reasoning.plan_sample(params, ENTRIES, 4, 9) != \
        reasoning.plan_sample(params, ENTRIES, 5, 9)


@pytest.mark.parametrize("tokens", [1000, 4000, 12000])
@pytest.mark.parametrize("index", range(len(KINDS)))
def test_programmatic_contexts_hold_their_facts_where_recorded(tokens, index):
    sample, context = reasoning_sample({"context_tokens": tokens}, ENTRIES, TEXTS, index)
    material = sample.material
    assert material["kind"] == KINDS[index]  # the kinds in turn
    assert 0.8 * tokens <= estimate_tokens(context) <= 1.2 * tokens
    for fact in material["facts"]:
        assert context[fact["start"]:fact["end"]] == fact["text"]
        assert context.count(fact["text"]) == 1
        assert fact["depth"] == pytest.approx(fact["start"] / len(context), abs=1e-4)
        assert any(p["start"] <= fact["start"] and fact["end"] <= p["end"]
                   for p in material["passages"])
    for p in material["passages"]:
        assert context[p["start"]:p["end"]] == p["text"]
        held = [f for f in material["facts"] if p["start"] <= f["start"] < p["end"]]
        assert held and len(p["text"]) <= sum(2 * 300 + len(f["text"]) for f in held)


def test_explicit_depths_place_the_facts():
    params = {"context_tokens": 4000, "kinds": ["sum"], "depths": [0.05, 0.5, 0.95]}
    sample, _ = reasoning_sample(params, ENTRIES, TEXTS)
    assert [f["bucket"] for f in sample.material["facts"]] == ["0-10%", "50-70%", "90-100%"]


def test_params_refuse_depths_that_do_not_fit_the_kinds():
    with pytest.raises(ValueError, match="plant 3 or 4 facts"):
        reasoning.parse_params({"kinds": ["sum", "chain"], "depths": [0.1, 0.5, 0.9]})
    with pytest.raises(ValueError, match="odd_one_out needs facts"):
        reasoning.parse_params({"kinds": ["odd_one_out"], "facts": 2})


@pytest.mark.parametrize("index", range(6))
def test_free_form_passages_are_far_apart_and_are_the_contexts_text(index):
    params = {"mode": "free_form", "context_tokens": 5000, "passages": 3,
              "min_hop_tokens": 800}
    sample, context = reasoning_sample(params, ENTRIES, TEXTS, index)
    passages = sample.material["passages"]
    assert len(passages) == 3
    for p in passages:
        assert context[p["start"]:p["end"]] == p["text"]
    for before, after in zip(passages, passages[1:], strict=False):
        assert after["start"] - before["end"] >= 800 * 4


@pytest.mark.skipif(not BOOKS.is_dir(), reason="needs ../shared/books")
@pytest.mark.parametrize("book", ["pride_and_prejudice.txt", "alice_in_wonderland.txt"])
def test_books_outside_the_repo_give_clean_contexts(book):
    text = (BOOKS / book).read_text()
    entry = {"_id": book, "title": book, **structure(text)}
    for index in range(12):
        sample, context = reasoning_sample({"context_tokens": 6000}, [entry], {book: text},
                                           index)
        facts = sample.material["facts"]
        for fact in facts:
            before = context[:fact["start"]].rstrip()
            after = context[fact["end"]:]
            for other in facts:
                after = after.replace(other["text"], "")
            # A fact opens a sentence (never after "Mr." or an initial), or ends the text.
            assert (before[-1] in ".!?\"'”’)" and not before.endswith(("Mr.", "Mrs.", "Dr."))
                    ) or not after.strip()


def test_a_trace_quotes_and_concludes_by_words_not_by_punctuation():
    reasoning_text = 'It says "The Alder depot,\nreceived 1,250 crates." So the answer is 1250.'
    assert quotes_in("the Alder depot received 1250 crates", reasoning_text)
    assert not quotes_in("The Birch depot received 1250 crates", reasoning_text)
    assert concludes_with(reasoning_text, "1,250")
    assert not concludes_with(reasoning_text, "125")
    assert not concludes_with("The answer is 1250." + " More words." * 40, "1250")


def test_traces_go_in_think_tags_or_a_reasoning_content_field():
    think = assistant_message("Step one.", "42", "think")
    assert think == {"role": "assistant", "content": "<think>\nStep one.\n</think>\n\n42"}
    field = assistant_message("Step one.", "42", "reasoning_content")
    assert field == {"role": "assistant", "reasoning_content": "Step one.", "content": "42"}
    with pytest.raises(ValueError, match="trace layout"):
        assistant_message("Step one.", "42", "xml")


def test_a_programmatic_context_longer_than_any_document_runs_on_into_the_next():
    longest = max(e["tokens"] for e in ENTRIES)
    tokens = int((longest + min(e["tokens"] for e in ENTRIES)) * 0.9)
    sample, context = reasoning_sample({"context_tokens": tokens, "kinds": ["order"],
                                        "facts": 5}, ENTRIES, TEXTS)
    parts = sample.material["documents"]
    assert len(parts) == 2 and {p["role"] for p in parts} == {"main", "filler"}
    assert 0.8 * tokens <= estimate_tokens(context) <= 1.2 * tokens
    for part in parts:
        assert f"## {part['title']}\n\n" in context and part["licence"]
    for fact in sample.material["facts"]:
        assert context[fact["start"]:fact["end"]] == fact["text"]
    params = reasoning.parse_params({"context_tokens": tokens * 3})
    assert "the matching documents have" in reasoning.problems(params, ENTRIES)[0]
    free = reasoning.parse_params({"context_tokens": tokens, "mode": "free_form"})
    assert "the longest matching document has" in reasoning.problems(free, ENTRIES)[0]


@pytest.mark.skipif(not BOOKS.is_dir(), reason="needs ../shared/books")
def test_a_128k_token_context_with_facts_in_every_depth_bucket():
    entries, texts = [], {}
    for path in sorted(BOOKS.glob("*.txt")):
        text = path.read_text()
        entries.append({"_id": path.name, "title": path.stem, **structure(text)})
        texts[path.name] = text
    depths = [0.02, 0.2, 0.4, 0.6, 0.8, 0.97]
    params = {"context_tokens": 128_000, "kinds": ["sum"], "facts": 6, "depths": depths}
    sample, context = reasoning_sample(params, entries, texts)
    assert 0.8 * 128_000 <= estimate_tokens(context) <= 1.2 * 128_000
    assert sorted(f["bucket"] for f in sample.material["facts"]) == [
        "0-10%", "10-30%", "30-50%", "50-70%", "70-90%", "90-100%"]
