"""Sections, chunk map and document map of a text, on the shared books and on shapes of
text they do not have (Markdown, numbered headings, no headings at all)."""

from pathlib import Path

import pytest

from longweave.corpus.chunks import chunk_map, sections, structure
from longweave.corpus.extract import extract

BOOKS = Path(__file__).resolve().parents[4] / "shared" / "books"
PARAGRAPH = ("The committee met on a grey morning and argued about the budget for an hour. "
             "Nobody agreed on anything, and the minutes say so at length. ") * 3


def test_markdown_and_numbered_headings_make_sections():
    text = (f"# Introduction\n\n{PARAGRAPH}\n\n## 2.1 Methods\n\n{PARAGRAPH}\n\n"
            f"3. Results in Detail\n\n{PARAGRAPH}\n")
    assert [s.title for s in sections(text)] == ["Introduction", "2.1 Methods",
                                                 "3. Results in Detail"]


def test_a_chapter_number_over_its_title_is_one_heading_and_a_contents_list_is_none():
    contents = "CONTENTS\n\nCHAPTER I. The Start\nCHAPTER II. The End\n\n"
    text = (f"{contents}CHAPTER I.\n\nThe Start\n\n{PARAGRAPH}\n\n"
            f"CHAPTER II.\n\nThe End\n\n{PARAGRAPH}\n")
    assert [s.title for s in sections(text)] == ["CHAPTER I. The Start", "CHAPTER II. The End"]


def test_chunks_cover_the_text_in_order_within_their_size_and_sections():
    text = "\n\n".join([f"Chapter {n}\n\n" + "\n\n".join([PARAGRAPH] * 6) for n in
                        ("One", "Two", "Three")]) + "\n"
    chunks = chunk_map(text, target_tokens=120)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert all(a.end <= b.start for a, b in zip(chunks, chunks[1:], strict=False))
    assert all(c.tokens <= 2 * 120 for c in chunks)
    assert {c.section for c in chunks} == {0, 1, 2}
    # No chunk crosses a chapter start.
    for c in chunks:
        assert "Chapter" not in text[c.start + 1:c.end]


def test_a_text_without_headings_still_gets_a_map_and_long_paragraphs_are_cut():
    text = (PARAGRAPH * 40).strip() + "\n"  # one enormous paragraph
    info = structure(text, target_tokens=100)
    assert info["sections"] == [] and info["map"][0]["title"] == "Part 1"
    assert len(info["chunks"]) > 5 and all(c["tokens"] <= 200 for c in info["chunks"])


@pytest.mark.skipif(not BOOKS.is_dir(), reason="../shared/books is not here")
@pytest.mark.parametrize("book", sorted(BOOKS.glob("*.txt")), ids=lambda p: p.stem)
def test_every_shared_book_gets_its_chapters_and_a_complete_chunk_map(book):
    text = extract(book).text
    info = structure(text)
    assert len(info["sections"]) >= 10
    assert sum(c["tokens"] for c in info["chunks"]) == info["tokens"] > 30_000
    covered = sum(c["end"] - c["start"] for c in info["chunks"])
    assert covered > 0.95 * len(text.strip())
    assert all(entry["summary"] for entry in info["map"])
