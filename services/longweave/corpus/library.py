"""The document corpus in MongoDB: one ``documents`` entry per distinct text (its id is
derived from the content hash), with metadata, token counts, sections, chunk map and
document map, and for a book (``kind: book``) its chapters; the text inline when small, in GridFS (bucket ``document_texts``) when
large. Adding writes the text first and the entry last, so an interrupted add leaves no
entry without its text (and a retry of the same text reuses the stored file)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from gridfs.errors import NoFile
from motor.motor_asyncio import AsyncIOMotorGridFSBucket
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from longweave.corpus.chapters import Chapter
from longweave.corpus.chunks import structure
from longweave.corpus.extract import ExtractedDocument
from longweave.store import Store

INLINE_MAX_CHARS = 1_000_000  # larger texts go to GridFS (a document is at most 16 MB)
SUMMARY_FIELDS = {"text": 0, "chunks": 0, "sections": 0, "map": 0, "chapters": 0}
KINDS = ("document", "book")


def document_id(content_hash: str) -> str:
    return f"doc-{content_hash[:16]}"


class DocumentLibrary:
    def __init__(self, store: Store) -> None:
        self._db = store.db
        self.documents = store.db.documents
        self.chunks = store.db["document_texts.chunks"]
        self._texts: AsyncIOMotorGridFSBucket | None = None

    @property
    def texts(self) -> AsyncIOMotorGridFSBucket:
        """The GridFS bucket, made on first use: motor binds it to the running event loop
        (a library built outside one, as when the AsyncAPI document is generated, works)."""
        if self._texts is None:
            self._texts = AsyncIOMotorGridFSBucket(self._db, bucket_name="document_texts")
        return self._texts

    async def ensure_indexes(self) -> None:
        await self.documents.create_index("content_hash", unique=True)
        await self.documents.create_index([("collection", ASCENDING), ("tags", ASCENDING)])

    async def find_text(self, content_hash: str) -> dict[str, Any] | None:
        """The entry of a text already in the corpus (by its content hash), if any."""
        return await self.documents.find_one({"content_hash": content_hash}, SUMMARY_FIELDS)

    async def add(self, doc: ExtractedDocument, collection: str = "default",
                  tags: list[str] | None = None, kind: str = "document",
                  chapters: list[Chapter] | None = None) -> tuple[dict[str, Any], bool]:
        """(the entry, True) when added; (the existing entry, False) for a text already in
        the corpus. A book comes with its chapters (`corpus.chapters.book_chapters`); a
        text already there as a plain document becomes that book (True)."""
        if kind not in KINDS or (kind == "book") != (chapters is not None):
            raise ValueError(f"kind {kind!r}: a book, and only a book, comes with chapters")
        content_hash = doc.content_hash
        existing = await self.find_text(content_hash)
        if existing is not None and chapters is not None and existing.get("kind") != "book":
            await self.documents.update_one(
                {"_id": existing["_id"]},
                {"$set": {"kind": "book", "chapters": [asdict(c) for c in chapters]}})
            return {**existing, "kind": "book"}, True
        if existing is not None:
            return existing, False
        doc_id = document_id(content_hash)
        entry: dict[str, Any] = {
            "_id": doc_id, "content_hash": content_hash, "title": doc.title,
            "source": doc.source, "format": doc.format, "licence": doc.licence,
            "metadata": doc.metadata, "collection": collection, "tags": sorted(set(tags or [])),
            "kind": kind, **structure(doc.text), "created_at": datetime.now(UTC),
        }
        if chapters is not None:
            entry["chapters"] = [asdict(c) for c in chapters]
        if len(doc.text) <= INLINE_MAX_CHARS:
            entry["text"] = doc.text
        else:
            if not await self._stored_text(doc_id):
                # Chunks of an interrupted upload or remove (GridFS writes the chunks
                # before the file entry, and removes the entry first) would clash.
                await self.chunks.delete_many({"files_id": doc_id})
                await self.texts.upload_from_stream_with_id(
                    doc_id, f"{doc_id}.txt", doc.text.encode("utf-8"),
                    metadata={"content_hash": content_hash})
            entry["gridfs_id"] = doc_id
        try:
            await self.documents.insert_one(entry)
        except DuplicateKeyError:  # added meanwhile by someone else
            return await self.documents.find_one({"content_hash": content_hash},
                                                 SUMMARY_FIELDS), False
        return {k: v for k, v in entry.items() if k not in SUMMARY_FIELDS}, True

    async def _stored_text(self, doc_id: str) -> bool:
        return await self.texts.find({"_id": doc_id}).to_list(1) != []

    async def list(self, filters: Mapping[str, Any] | None = None,
                   with_structure: bool = False) -> list[dict[str, Any]]:
        """Entries without their text, sorted by id; with their sections, chunk and
        document maps (and a book's chapters) when asked."""
        projection = {"text": 0} if with_structure else SUMMARY_FIELDS
        cursor = self.documents.find(dict(filters or {}), projection).sort("_id", ASCENDING)
        return await cursor.to_list(None)

    async def get(self, doc_id: str, with_structure: bool = True) -> dict[str, Any] | None:
        projection = {"text": 0} if with_structure else SUMMARY_FIELDS
        return await self.documents.find_one({"_id": doc_id}, projection)

    async def text(self, doc_id: str) -> str:
        entry = await self.documents.find_one({"_id": doc_id}, {"text": 1, "gridfs_id": 1})
        if entry is None:
            raise LookupError(f"no document {doc_id!r} in the corpus")
        if "text" in entry:
            return str(entry["text"])
        stream = await self.texts.open_download_stream(entry["gridfs_id"])
        return (await stream.read()).decode("utf-8")

    async def remove(self, doc_id: str) -> bool:
        """The entry first, then its text: an interrupted remove leaves at most orphan text
        chunks, which the same text's next add clears."""
        entry = await self.documents.find_one_and_delete({"_id": doc_id}, {"gridfs_id": 1})
        if entry is None:
            return False
        if entry.get("gridfs_id"):
            try:
                await self.texts.delete(entry["gridfs_id"])
            except NoFile:  # its entry went with an interrupted remove: the chunks remain
                await self.chunks.delete_many({"files_id": entry["gridfs_id"]})
        return True
