"""Windows of whole chunks, cuts at paragraph or sentence ends, and quotes located in the
passages, on the books of deploy/corpus and on text written here."""

import random

import pytest

from longweave.corpus.passages import cut, locate, position_of, window
from support.documents import corpus_entries

ENTRIES, TEXTS = corpus_entries()


@pytest.mark.parametrize("tokens", [300, 2000, 9000])
def test_a_window_is_whole_chunks_with_at_least_the_tokens_asked_for(tokens):
    for entry in ENTRIES:
        start, end, chunks = window(entry, tokens, random.Random(tokens))
        assert (start, end) == (chunks[0]["start"], chunks[-1]["end"])
        total = sum(c["tokens"] for c in chunks)
        assert total >= tokens or len(chunks) == len(entry["chunks"])
        # No chunk could be dropped from its front and keep enough tokens.
        assert total - chunks[0]["tokens"] < tokens or len(chunks) == 1


def test_a_cut_ends_at_a_paragraph_else_a_sentence_else_right_there():
    paragraphs = "First paragraph here.\n\nSecond one, longer than the first by far."
    assert cut(paragraphs, 50, 0.3) == "First paragraph here."
    sentences = "One sentence ends here. Another runs on and on without an end"
    assert cut(sentences, 50, 0.3) == "One sentence ends here."
    assert cut("no ends at all in this long run of words", 20, 0.9) == "no ends at all in th"
    assert cut("short", 50, 0.5) == "short"


def test_quotes_are_located_exactly_fuzzily_or_not_at_all():
    text = next(iter(TEXTS.values()))[20_000:22_000]
    passages = [{"start": 500, "end": 500 + len(text), "text": text}]
    quote = " ".join(text.split()[40:60])
    exact = locate(quote, passages)
    assert exact["start"] is not None and exact["similarity"] >= 0.9
    assert text[exact["start"] - 500:exact["end"] - 500].split() == quote.split()
    words = quote.split()
    words[3] = words[3] + "s"  # one small slip
    slipped = locate(" ".join(words), passages)
    assert slipped["start"] is not None and slipped["similarity"] >= 0.9
    invented = locate("The Martians landed in Woking on a Friday afternoon in June.", passages)
    assert invented["start"] is None


def test_positions_are_thirds_of_the_context():
    assert [position_of(o, 90) for o in (0, 29, 30, 59, 60, 89)] == \
        ["beginning", "beginning", "middle", "middle", "end", "end"]
