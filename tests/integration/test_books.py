"""Books in the real store through `longweave books ...`: added with their chapters, listed,
shown chapter by chapter; an empty, binary, chapterless or duplicate book refused with one
line each, and nothing written when any file of the command is refused."""

from __future__ import annotations

import pytest

from support.documents import CORPUS

pytestmark = pytest.mark.integration

BOOK = CORPUS / "time_machine.txt"


def test_add_list_and_show_a_book_by_chapter(longweave_cli):
    added = longweave_cli("books", "add", str(BOOK), "--tag", "novel")
    assert added.returncode == 0, added.stderr
    assert "The Time Machine, 16 chapters" in added.stdout
    book_id = added.stdout.split("added ")[1].split()[0]
    listed = longweave_cli("books", "list")
    assert listed.returncode == 0 and f"{book_id}    16 chapters" in listed.stdout
    shown = longweave_cli("books", "show", book_id, "--chapters")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert "  chapters: 16" in lines and "licence: Project Gutenberg License" in shown.stdout
    rows = [line for line in lines if line.strip().split()[0].isdigit()]
    assert len(rows) == 16
    assert "I. Introduction" in rows[0] and "The Time Traveller (for so it will be" in rows[0]
    assert "XVI. After the Story" in rows[-1] and "“I know,” he said, after a pause," in rows[-1]
    # The same book again: refused, and the corpus keeps one.
    again = longweave_cli("books", "add", str(BOOK))
    assert again.returncode == 2 and f"already in the corpus as {book_id}" in again.stderr
    assert longweave_cli("books", "list").stdout.count("chapters") == 1
    assert longweave_cli("books", "show", "doc-nope").returncode == 2


def test_bad_books_are_refused_one_line_each_and_nothing_is_added(longweave_cli, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(bytes(range(256)) * 40)
    short = tmp_path / "short.txt"
    short.write_text("A note of a few lines, with no chapters at all. " * 30)
    copy = tmp_path / "copy.txt"
    copy.write_bytes(BOOK.read_bytes())
    result = longweave_cli("books", "add", str(BOOK), str(empty), str(binary), str(short),
                           str(copy))
    assert result.returncode == 2
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 5 and errors[-1].startswith("nothing added: fix or leave out the 4")
    assert "empty.txt: the file is empty" in errors[0]
    assert "binary.txt" in errors[1] and "binary" in errors[1]
    assert "short.txt: no chapter headings" in errors[2] and "not a book" in errors[2]
    assert "copy.txt: the same text as" in errors[3]
    assert longweave_cli("books", "list").stdout == ""  # the good book was not added either


def test_a_text_already_in_the_corpus_as_a_document_becomes_the_book(longweave_cli):
    as_document = longweave_cli("documents", "add", str(BOOK))
    assert as_document.returncode == 0, as_document.stderr
    assert longweave_cli("books", "list").stdout == ""
    as_book = longweave_cli("books", "add", str(BOOK))
    assert as_book.returncode == 0, as_book.stderr
    doc_id = as_document.stdout.split("added ")[1].split()[0]
    assert f"added {doc_id} (The Time Machine, 16 chapters" in as_book.stdout
    assert f"{doc_id}    16 chapters" in longweave_cli("books", "list").stdout
    assert longweave_cli("books", "add", str(BOOK)).returncode == 2  # now a duplicate book
