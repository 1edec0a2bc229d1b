"""Chapters of books: the five shared books (every chapter's title and first line, checked
by hand once and kept in book_chapters.json; no table of contents, preface or title page
among them), and book shapes written here: staves, parts whose chapter numbers start
again, Arabic numbers, dotted and spaced contents, unnumbered chapters after a preface,
and a text with no headings at all (token windows)."""

import json
from pathlib import Path

import pytest

from longweave.corpus.chapters import chapters, windows
from longweave.corpus.extract import extract
from longweave.llm.tokens import estimate_tokens

HERE = Path(__file__).parent
BOOKS = Path(__file__).resolve().parents[4] / "shared" / "books"
CORPUS = Path(__file__).resolve().parents[3] / "deploy" / "corpus"
EXPECTED = json.loads((HERE / "book_chapters.json").read_text())


def first_line(text, chapter):
    return next(line for line in text[chapter.body_start:chapter.end].splitlines()
                if line.strip()).strip()


def book_path(name):
    for folder in (CORPUS, BOOKS):
        if (folder / name).exists():
            return folder / name
    pytest.skip(f"{name} is in neither deploy/corpus nor ../shared/books")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_chapter_of_the_shared_books_with_its_first_line(name):
    text = extract(book_path(name)).text
    found = chapters(text)
    assert [[c.title, first_line(text, c)[:40]] for c in found] == EXPECTED[name]
    assert all(c.tokens > 50 for c in found)
    covered = sum(c.end - c.start for c in found)
    assert covered > 0.9 * len(text)  # front matter is all that is left out
    assert [c.index for c in found] == list(range(len(found)))


def paragraphs(n, words=60, seed="x"):
    import random

    rng = random.Random(seed)
    vocab = "the ship sailed north past the cliffs while the crew watched the grey sea".split()
    return "\n\n".join(" ".join(rng.choice(vocab) for _ in range(words)).capitalize() + "."
                       for _ in range(n))


def test_staves_are_chapters_and_the_title_page_is_not():
    text = "A CHRISTMAS CAROL\n\nBY CHARLES DICKENS\n\n" + "".join(
        f"\n\nSTAVE {n}\n\n{title}\n\n{paragraphs(3, seed=n)}"
        for n, title in ((1, "MARLEY'S GHOST"), (2, "THE FIRST OF THE THREE SPIRITS"),
                         (3, "THE SECOND OF THE THREE SPIRITS")))
    assert [c.title for c in chapters(text)] == [
        "STAVE 1 MARLEY'S GHOST", "STAVE 2 THE FIRST OF THE THREE SPIRITS",
        "STAVE 3 THE SECOND OF THE THREE SPIRITS"]


def test_chapters_within_parts_carry_their_part_and_a_contents_list_is_skipped():
    contents = ("CONTENTS\n\nBOOK I. THE SEA\n  CHAPTER I. Departure .......... 1\n"
                "  CHAPTER II. Storm .......... 9\nBOOK II. THE LAND\n"
                "  CHAPTER I. Landfall .......... 20\n  CHAPTER II. Home .......... 31")
    body = ""
    for book, gap in (("I", "\n\n"), ("II", "\n\n\n")):  # one blank line, or two
        body += f"\n\nBOOK {book}{gap}"
        for chapter in ("I", "II"):
            body += f"CHAPTER {chapter}\n\n{paragraphs(2, seed=book + chapter)}\n\n"
    found = chapters(contents + body)
    assert [c.title for c in found] == ["BOOK I / CHAPTER I", "BOOK I / CHAPTER II",
                                        "BOOK II / CHAPTER I", "BOOK II / CHAPTER II"]
    assert all(first_line(contents + body, c).startswith(("The", "Ship", "Sailed", "North",
                                                          "Past", "Cliffs", "While", "Crew",
                                                          "Watched", "Grey", "Sea"))
               for c in found)


def test_arabic_numbers_and_a_spaced_contents_with_page_numbers():
    contents = "Contents\n\n1.   The Harbour        3\n2.   The Reef        17\n3.   Ashore    40"
    text = contents + "".join(f"\n\n{n}. {t}\n\n{paragraphs(2, seed=t)}"
                              for n, t in ((1, "The Harbour"), (2, "The Reef"), (3, "Ashore")))
    assert [c.title for c in chapters(text)] == ["1. The Harbour", "2. The Reef", "3. Ashore"]


def test_unnumbered_chapters_after_a_preface():
    text = "PREFACE\n\n" + paragraphs(2, seed="p") + "".join(
        f"\n\n{t}\n\n{paragraphs(3, seed=t)}" for t in ("THE DOOR", "THE LETTER", "THE END"))
    assert [c.title for c in chapters(text)] == ["THE DOOR", "THE LETTER", "THE END"]


def test_a_text_without_headings_is_cut_into_windows_at_paragraph_ends():
    text = paragraphs(120, seed="w")
    found = chapters(text, window_tokens=1500)
    assert found == windows(text, 1500) and len(found) >= 3
    assert [c.title for c in found] == [f"Part {n + 1}" for n in range(len(found))]
    for chapter in found:
        assert chapter.tokens <= 1500 and text[chapter.start:chapter.end].endswith(".")
    assert sum(estimate_tokens(text[c.start:c.end]) for c in found) >= 0.98 * estimate_tokens(text)


def test_parts_and_chapters_numbered_in_words_and_letters_before_chapters():
    text = "CONTENTS\n\nPART ONE\n  Chapter 1\n  Chapter 2\nPART TWO\n  Chapter 1\n"
    for part in ("ONE", "TWO"):
        text += f"\n\nPART {part}\n\n\n"
        for n in (1, 2):
            text += f"Chapter {n}\n\n{paragraphs(2, seed=part + str(n))}\n\n"
    assert [c.title for c in chapters(text)] == [
        "PART ONE / Chapter 1", "PART ONE / Chapter 2", "PART TWO / Chapter 1",
        "PART TWO / Chapter 2"]
    letters = "".join(f"\n\nLetter {n}\n\n{paragraphs(2, seed=f'l{n}')}" for n in (1, 2))
    letters += "".join(f"\n\nCHAPTER {w}\n\n{paragraphs(2, seed=w)}"
                       for w in ("ONE", "TWO", "THREE"))
    assert [c.title for c in chapters(letters)] == [
        "Letter 1", "Letter 2", "CHAPTER ONE", "CHAPTER TWO", "CHAPTER THREE"]


def test_a_pronoun_line_and_a_left_over_contents_entry_are_no_chapters():
    text = ("CHAPTER 3. The Last Entry Of The Contents.\n\n" + paragraphs(2, seed="toc")
            + "".join(f"\n\n{numeral}\n\n{paragraphs(2, seed=numeral)}\n\nI told him.\n\n"
                      f"{paragraphs(1, seed=numeral + 'x')}"
                      for numeral in ("I", "II", "III")))
    assert [c.title for c in chapters(text)] == ["I", "II", "III"]
    moby = ("CHAPTER 135. The Chase.\n\nEpilogue\n\n" + paragraphs(2, seed="m")
            + "".join(f"\n\nCHAPTER {n}. Title {n}.\n\n{paragraphs(2, seed=str(n))}"
                      for n in (1, 2, 3)))
    assert [c.title for c in chapters(moby)] == ["CHAPTER 1. Title 1.", "CHAPTER 2. Title 2.",
                                                 "CHAPTER 3. Title 3."]


def test_titles_that_wrap_under_their_heading_but_not_a_first_paragraph():
    wrapped = ("CHAPTER 1. Of the Less Erroneous Pictures of Whales, and the True\n"
               "Pictures of Whaling Scenes.\n\n" + paragraphs(2, seed="a")
               + "\n\nChapter 2\nThe Reverend Arthur Beebe, the Reverend Cuthbert Eager,\n"
               "Mr. Emerson, and Miss Lucy Honeychurch Drive Out.\n\n" + paragraphs(2, seed="b")
               + "\n\nCHAPTER 3\n\nHe looked perturbed.\n\n" + paragraphs(2, seed="c"))
    assert [c.title for c in chapters(wrapped)] == [
        "CHAPTER 1. Of the Less Erroneous Pictures of Whales, and the True Pictures of "
        "Whaling Scenes.",
        "Chapter 2 The Reverend Arthur Beebe, the Reverend Cuthbert Eager, Mr. Emerson, and "
        "Miss Lucy Honeychurch Drive Out.",
        "CHAPTER 3"]
