"""Manage data: `scenarios`, `documents`, `books`, `judge calibrate`, `contracts`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from longweave.cli.common import filter_option, json_option, out_option, with_store
from longweave.cli.errors import USER_ERROR, UserError

# -- scenarios ---------------------------------------------------------------------------


@click.group(short_help="the scenario database the sampler draws from")
def scenarios() -> None:
    """The scenario database the sampler draws from."""


@scenarios.command(short_help="load the shipped catalog into MongoDB (idempotent)")
@click.option("--file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="another catalog file instead")
def load(file: Path | None) -> int:
    """Load the shipped scenario catalog (or --file) into MongoDB; scenarios it no longer
    lists are retired, user scenarios stay."""
    from longweave.catalog import CatalogError
    from longweave.scenarios import load_scenarios

    try:
        loaded, retired, version = with_store(lambda store: load_scenarios(store, file))
    except CatalogError as exc:
        raise UserError(str(exc)) from None
    print(f"catalog v{version}: {loaded} scenarios loaded, {retired} retired")
    return 0


@scenarios.command(name="list", short_help="list stored scenarios")
@filter_option
@json_option
def list_scenarios(filters: tuple[str, ...], as_json: bool) -> int:
    """List the stored scenarios (those matching every --filter)."""
    from longweave.cli.request_flags import filters_of
    from longweave.scenarios import list_scenarios as stored

    try:
        wanted = filters_of(list(filters))
    except ValueError as exc:
        raise click.BadParameter(str(exc).removeprefix("--filter "),
                                 param_hint="--filter") from None
    try:
        docs = with_store(lambda store: stored(store, wanted))
    except ValueError as exc:
        raise UserError(str(exc)) from None
    for doc in docs:
        if as_json:
            print(json.dumps(doc, ensure_ascii=False, default=str))
        else:
            geo = doc["geography"]
            print(f"{doc['_id']:44} {doc['domain']:20} {geo['city'] + ', ' + geo['country']:36} "
                  f"{doc.get('source', '-')}")
    if not as_json:
        print(f"{len(docs)} scenarios", file=sys.stderr)
    return 0


@scenarios.command(short_help="validate a YAML/JSON file of scenarios and add them")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def add(file: Path) -> int:
    """Validate FILE (YAML or JSON scenarios) and add its scenarios: all or none."""
    from longweave.catalog import CatalogError
    from longweave.scenarios import add_scenarios

    try:
        ids = with_store(lambda store: add_scenarios(store, file))
    except CatalogError as exc:
        raise UserError(str(exc)) from None
    print(f"added {len(ids)} scenarios: {', '.join(ids)}")
    return 0


@scenarios.command(name="export", short_help="write every stored scenario as a catalog file")
@out_option("the catalog file (default: standard output)")
def export_scenarios(out: Path | None) -> int:
    """Write every stored scenario as a catalog file."""
    from longweave.scenarios import export_scenarios as catalog_text

    text = with_store(catalog_text)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        print(f"exported to {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


# -- documents and books -----------------------------------------------------------------


def _corpus_add_options(collection: str) -> Any:
    def decorate(func: Any) -> Any:
        for option in reversed([
            click.argument("paths", nargs=-1, required=True,
                           type=click.Path(dir_okay=False, path_type=Path)),
            click.option("--collection", default=collection, show_default=True),
            click.option("--tag", "tags", multiple=True, metavar="TAG",
                         help="a tag (repeatable)"),
            click.option("--max-bytes", type=click.IntRange(min=1),
                         help="refuse larger files (default 50 MB)"),
        ]):
            func = option(func)
        return func

    return decorate


def _nothing_added(errors: list[str]) -> int:
    """One line per refused file, and what became of the rest: nothing is added."""
    print("\n".join(errors), file=sys.stderr)
    print(f"nothing added: fix or leave out the {len(errors)} file(s) above", file=sys.stderr)
    return USER_ERROR


@click.group(short_help="the document corpus grounded paradigms read")
def documents() -> None:
    """The document corpus the grounded paradigms read."""


@documents.command(name="add", short_help="add .txt, .md, .html or .pdf files (all or none)")
@_corpus_add_options("default")
def add_documents(paths: tuple[Path, ...], collection: str, tags: tuple[str, ...],
                  max_bytes: int | None) -> int:
    """Add .txt, .md, .html or .pdf files to the corpus: every file is read first, and if
    any is refused, none is added."""
    from longweave.corpus.extract import DEFAULT_MAX_BYTES, CorpusError, extract
    from longweave.corpus.library import DocumentLibrary

    extracted, errors = [], []
    for path in paths:  # every file read before any is stored: all or none
        try:
            extracted.append((path, extract(path, max_bytes or DEFAULT_MAX_BYTES)))
        except CorpusError as exc:
            errors.append(str(exc))
    if errors:
        return _nothing_added(errors)

    async def store_all(store: Any) -> list[tuple[Path, dict[str, Any], bool]]:
        library = DocumentLibrary(store)
        await library.ensure_indexes()
        return [(path, *await library.add(doc, collection, list(tags)))
                for path, doc in extracted]

    for path, entry, added in with_store(store_all):
        if added:
            print(f"{path}: added {entry['_id']} ({entry['title']}, {entry['tokens']:,} tokens)")
        else:
            print(f"{path}: already in the corpus as {entry['_id']} ({entry['title']})")
    return 0


@documents.command(name="list", short_help="list the corpus")
@click.option("--collection")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="has this tag (repeatable)")
@json_option
def list_documents(collection: str | None, tags: tuple[str, ...], as_json: bool) -> int:
    """List the corpus's documents (of --collection, with every --tag)."""
    from longweave.corpus.library import DocumentLibrary

    filters: dict[str, Any] = {}
    if collection:
        filters["collection"] = collection
    if tags:
        filters["tags"] = {"$all": list(tags)}
    for e in with_store(lambda store: DocumentLibrary(store).list(filters)):
        if as_json:
            print(json.dumps(e, ensure_ascii=False, default=str))
        else:
            print(f"{e['_id']}  {e['tokens']:>9,} tokens  {e['collection']:<12} "
                  f"{','.join(e['tags']) or '-':<12} {e['title']}")
    return 0


@documents.command(name="show", short_help="a document's metadata, sections and map")
@click.argument("document_id")
def show_document(document_id: str) -> int:
    """Show a document's metadata, sections and map."""
    from longweave.corpus.library import DocumentLibrary

    entry = with_store(lambda store: DocumentLibrary(store).get(document_id))
    if entry is None:
        raise UserError(f"no document {document_id!r} in the corpus (see `longweave "
                        "documents list`)")
    print(f"{entry['_id']}: {entry['title']}")
    for key in ("source", "format", "licence", "collection", "tags", "chars", "tokens"):
        print(f"  {key}: {entry.get(key)}")
    for key, value in (entry.get("metadata") or {}).items():
        print(f"  {key}: {value}")
    chunks = len(entry["chunks"])
    print(f"  chunks: {chunks} (about {entry['tokens'] // max(1, chunks)} tokens each)")
    print(f"  sections ({len(entry['sections'])}):")
    for item in entry["map"]:
        print(f"    @{item['start']:>8}  {item['title'][:60]}: {item['summary'][:70]}")
    return 0


@documents.command(name="remove", short_help="remove a document and its text")
@click.argument("document_id")
def remove_document(document_id: str) -> int:
    """Remove a document and its text from the corpus."""
    from longweave.corpus.library import DocumentLibrary

    if not with_store(lambda store: DocumentLibrary(store).remove(document_id)):
        raise UserError(f"no document {document_id!r} in the corpus")
    print(f"removed {document_id}")
    return 0


@click.group(short_help="books in the corpus, split into chapters")
def books() -> None:
    """Books in the corpus, split into chapters (the claims paradigm reads them)."""


@books.command(name="add", short_help="add plain-text books (all or none)")
@_corpus_add_options("books")
def add_books(paths: tuple[Path, ...], collection: str, tags: tuple[str, ...],
              max_bytes: int | None) -> int:
    """Add plain-text books, split into chapters: every book is read and split first, and
    if any is refused, none is added."""
    from longweave.corpus.chapters import book_chapters
    from longweave.corpus.extract import DEFAULT_MAX_BYTES, CorpusError, extract
    from longweave.corpus.library import DocumentLibrary

    found_books, errors, seen = [], [], {}
    for path in paths:  # every book read and split before any is stored: all or none
        try:
            doc = extract(path, max_bytes or DEFAULT_MAX_BYTES)
            if doc.content_hash in seen:
                raise CorpusError(f"{path}: the same text as {seen[doc.content_hash]}")
            seen[doc.content_hash] = path
            found_books.append((path, doc, book_chapters(doc.text, str(path))))
        except CorpusError as exc:
            errors.append(str(exc))

    async def store_all(store: Any) -> list[tuple[Path, dict[str, Any], int]]:
        library = DocumentLibrary(store)
        await library.ensure_indexes()
        for path, doc, _ in found_books:
            existing = await library.find_text(doc.content_hash)
            if existing is not None and existing.get("kind") == "book":
                errors.append(f"{path}: already in the corpus as {existing['_id']} "
                              f"({existing['title']})")
        if errors:
            return []
        return [(path, (await library.add(doc, collection, list(tags), kind="book",
                                          chapters=chapters))[0], len(chapters))
                for path, doc, chapters in found_books]

    added = with_store(store_all) if not errors else []
    if errors:
        return _nothing_added(errors)
    for path, entry, n_chapters in added:
        print(f"{path}: added {entry['_id']} ({entry['title']}, {n_chapters} chapters, "
              f"{entry['tokens']:,} tokens)")
    return 0


@books.command(name="list", short_help="list the books")
@json_option
def list_books(as_json: bool) -> int:
    """List the books in the corpus."""
    from longweave.corpus.library import DocumentLibrary

    for e in with_store(lambda store: DocumentLibrary(store).list({"kind": "book"},
                                                                  with_structure=True)):
        if as_json:
            print(json.dumps(e, ensure_ascii=False, default=str))
        else:
            print(f"{e['_id']}  {len(e['chapters']):>4} chapters  {e['tokens']:>9,} tokens  "
                  f"{e['title']}")
    return 0


@books.command(name="show", short_help="a book's metadata (and chapters)")
@click.argument("book_id")
@click.option("--chapters", is_flag=True, help="each chapter's title, first words and length")
def show_book(book_id: str, chapters: bool) -> int:
    """Show a book's metadata (and, with --chapters, each chapter)."""
    from longweave.corpus.library import DocumentLibrary

    async def read(store: Any) -> tuple[dict[str, Any] | None, str]:
        library = DocumentLibrary(store)
        entry = await library.get(book_id)
        if entry is None or entry.get("kind") != "book":
            return None, ""
        return entry, await library.text(book_id) if chapters else ""

    entry, text = with_store(read)
    if entry is None:
        raise UserError(f"no book {book_id!r} in the corpus (see `longweave books list`)")
    print(f"{entry['_id']}: {entry['title']}")
    for key in ("source", "licence", "collection", "tags", "chars", "tokens"):
        print(f"  {key}: {entry.get(key)}")
    for key, value in (entry.get("metadata") or {}).items():
        print(f"  {key}: {value}")
    print(f"  chapters: {len(entry['chapters'])}")
    if chapters:
        for c in entry["chapters"]:
            words = " ".join(text[c["body_start"]:c["end"]].split()[:10])
            print(f"  {c['index'] + 1:>4}  {c['title'][:40]:<40} {c['tokens']:>7,} tokens  "
                  f"{words}")
    return 0


# -- the judge and the contracts ---------------------------------------------------------


@click.group(short_help="the LLM judge: calibrate it against human labels")
def judge() -> None:
    """The LLM judge."""


@judge.command(short_help="the judge against human labels: precision, recall, F1, agreement")
@click.option("--labels", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True,
              help="CSV (record_id,axis,label) or JSONL with those keys; label: pass/fail or "
                   "a score 1-5")
@click.option("--pass-score", type=click.IntRange(1, 5),
              help="the score a 1-5 label needs to pass (default: the rubric's)")
@json_option
def calibrate(labels: Path, pass_score: int | None, as_json: bool) -> int:
    """Compare the stored judgments with human labels: precision, recall, F1, agreement and
    Cohen's kappa per axis. Exit 1 when no label matches a judgment."""
    from longweave.judge.calibrate_store import calibrate_labels
    from longweave.judge.calibration import LabelError, calibration_table, read_labels

    try:
        found = read_labels(labels)
        result = with_store(lambda store: calibrate_labels(store, found, pass_score))
    except (OSError, LabelError, ValueError) as exc:
        raise UserError(f"calibration failed: {exc}") from None
    print(json.dumps(result) if as_json else calibration_table(result))
    return 0 if result["axes"] else 1


@click.command(short_help="regenerate contracts/ (JSON Schemas, AsyncAPI) from the models")
@click.option("--check", is_flag=True, help="fail (exit 1) if contracts/ is stale")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path),
              default=Path("contracts"), show_default=True)
def contracts(check: bool, folder: Path) -> int:
    """Write the JSON Schemas and the AsyncAPI document generated from the message models."""
    from longweave.contract_files import stale_files, write_contracts

    if check:
        stale = stale_files(folder)
        for name in stale:
            print(f"stale: {name} (run `longweave contracts`)", file=sys.stderr)
        return 1 if stale else 0
    for path in write_contracts(folder):
        print(path)
    return 0

