"""The document corpus in the real store, through `longweave documents ...` and the
library: texts inline or in GridFS, one document per distinct text, bad files refused with
one line and nothing written."""

from __future__ import annotations

import pytest

from longweave.corpus import library as library_module
from longweave.corpus.extract import extract
from longweave.corpus.library import DocumentLibrary
from support.documents import CORPUS

pytestmark = pytest.mark.integration

BOOK = CORPUS / "time_machine.txt"


@pytest.fixture
def cli(longweave_cli):
    return lambda *args: longweave_cli("documents", *args)


def test_add_list_show_and_remove_a_book(cli, tmp_path):
    added = cli("add", str(BOOK), "--collection", "books", "--tag", "fiction")
    assert added.returncode == 0, added.stderr
    doc_id = added.stdout.split("added ")[1].split()[0]
    assert "The Time Machine" in added.stdout
    again = cli("add", str(BOOK))  # the same text: one document
    assert again.returncode == 0 and f"already in the corpus as {doc_id}" in again.stdout
    listed = cli("list", "--tag", "fiction")
    assert listed.returncode == 0 and doc_id in listed.stdout and "books" in listed.stdout
    assert cli("list", "--collection", "papers").stdout == ""
    shown = cli("show", doc_id)
    assert shown.returncode == 0
    assert "licence: Project Gutenberg License" in shown.stdout
    assert "author: H. G. Wells" in shown.stdout and "XVI. After the Story" in shown.stdout
    assert cli("remove", doc_id).stdout.strip() == f"removed {doc_id}"
    assert cli("show", doc_id).returncode == 2
    assert cli("remove", doc_id).returncode == 2


def test_bad_files_are_refused_with_one_line_each_and_nothing_is_added(cli, tmp_path):
    good = tmp_path / "good.md"
    good.write_text("# A note\n\n" + "Some real text for the corpus. " * 20)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    big = tmp_path / "big.txt"
    big.write_text("word " * 400)
    result = cli("add", str(good), str(empty), str(binary), str(big), "--max-bytes", "1500")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 4 and "Traceback" not in result.stderr
    assert "the file is empty" in lines[0] and "binary data" in lines[1]
    assert "over the limit of 1,500" in lines[2] and lines[3].startswith("nothing added")
    assert cli("list").stdout == ""  # not even the good file


async def test_a_large_text_goes_to_gridfs_and_reads_back_whole(store, monkeypatch):
    monkeypatch.setattr(library_module, "INLINE_MAX_CHARS", 10_000)
    library = DocumentLibrary(store)
    await library.ensure_indexes()
    doc = extract(BOOK)
    entry, added = await library.add(doc, "books", ["fiction"])
    assert added and entry["_id"].startswith("doc-")
    stored = await store.db.documents.find_one({"_id": entry["_id"]})
    assert "text" not in stored and stored["gridfs_id"] == entry["_id"]
    assert await library.text(entry["_id"]) == doc.text
    listed = await library.list({"tags": {"$all": ["fiction"]}}, with_structure=True)
    assert [e["_id"] for e in listed] == [entry["_id"]] and listed[0]["chunks"]
    assert await library.remove(entry["_id"])
    assert await store.db["document_texts.files"].count_documents({}) == 0
    assert await library.list() == []
    # Chunks an interrupted upload left behind do not block the next add of the text.
    await store.db["document_texts.chunks"].insert_one(
        {"files_id": entry["_id"], "n": 0, "data": b"partial"})
    again, added = await library.add(doc)
    assert added and await library.text(again["_id"]) == doc.text
