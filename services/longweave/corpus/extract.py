"""A file's text and metadata for the document corpus, or one clear line saying why not.

Plain text and Markdown are decoded as UTF-8, else with the encoding charset-normalizer
detects; HTML goes through BeautifulSoup (scripts, styles and navigation dropped); PDF
through pypdf's text layer. A Project Gutenberg text loses its header and footer (the
licence boilerplate) and keeps its title, author, licence and source as metadata.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMATS = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
           ".html": "html", ".htm": "html", ".pdf": "pdf"}
DEFAULT_MAX_BYTES = 50_000_000
_BINARY_SAMPLE = 8192
# The markers may be indented (centred, in some files).
_GUTENBERG_START = re.compile(
    r"^[ \t]*\*\*\* ?START OF (?:THE|THIS) PROJECT GUTENBERG E?BOOK.*$",
    re.MULTILINE | re.IGNORECASE)
_GUTENBERG_END = re.compile(r"^[ \t]*\*\*\* ?END OF (?:THE|THIS) PROJECT GUTENBERG E?BOOK.*$",
                            re.MULTILINE | re.IGNORECASE)
_GUTENBERG_FIELD = re.compile(r"^(Title|Author|Release date|Language):\s*(.+)$", re.MULTILINE)
_EBOOK_NUMBER = re.compile(r"\[E(?:Book|text) #(\d+)\]", re.IGNORECASE)


class CorpusError(ValueError):
    """Why a file cannot join the corpus, in one line."""


@dataclass(frozen=True)
class ExtractedDocument:
    text: str
    title: str
    format: str
    source: str
    licence: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        """Of the text as stored: the same text twice, from any file, is one document."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def extract(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> ExtractedDocument:
    """Raises CorpusError for a missing, empty, oversized, binary, undecodable or
    unsupported file, and for one without text (a PDF without a text layer)."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise CorpusError(f"{path}: unsupported file type {path.suffix or '(none)'!r} "
                          f"(supported: {', '.join(sorted(FORMATS))})")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if size == 0:
        raise CorpusError(f"{path}: the file is empty")
    if size > max_bytes:
        raise CorpusError(f"{path}: {size:,} bytes is over the limit of {max_bytes:,} "
                          "(--max-bytes)")
    data = path.read_bytes()
    if kind == "pdf":
        text = _pdf_text(path, data)
    else:
        decoded = decode(path, data)
        text = _html_text(decoded) if kind == "html" else decoded
    text = normalise(text)
    metadata: dict[str, Any] = {}
    licence = None
    title = path.stem.replace("_", " ")
    if _GUTENBERG_START.search(text):
        text, metadata = strip_gutenberg(text)
        title = metadata.get("title", title)
        licence = "Project Gutenberg License (public domain in the USA)"
    if not text.strip():
        raise CorpusError(f"{path}: no text in it" + (
            " (a PDF without a text layer? run OCR first)" if kind == "pdf" else ""))
    return ExtractedDocument(text=text, title=title, format=kind, source=path.name,
                             licence=licence, metadata=metadata)


def decode(path: Path, data: bytes) -> str:
    if b"\x00" in data[:_BINARY_SAMPLE]:
        raise CorpusError(f"{path}: binary data, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise CorpusError(f"{path}: cannot detect the text encoding (not UTF-8, and no other "
                          "encoding fits)")
    return str(best)


def normalise(text: str) -> str:
    """Unix line ends, no trailing spaces, at most one blank line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"


def strip_gutenberg(text: str) -> tuple[str, dict[str, Any]]:
    """The book between the START and END markers, and the header's fields."""
    start = _GUTENBERG_START.search(text)
    assert start is not None
    header = text[: start.start()]
    end = _GUTENBERG_END.search(text, start.end())
    body = text[start.end(): end.start() if end else len(text)]
    fields = {k.lower().replace(" ", "_"): v.strip() for k, v in _GUTENBERG_FIELD.findall(header)}
    number = _EBOOK_NUMBER.search(header)
    if number:
        fields["source_url"] = f"https://www.gutenberg.org/ebooks/{number.group(1)}"
    return normalise(body), fields


def _html_text(html: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "template"]):
        tag.decompose()
    blocks = []
    for element in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre",
                                  "blockquote", "td", "th", "dt", "dd"]):
        if element.find_parent(["p", "li", "pre", "blockquote", "td", "th", "dd"]):
            continue  # its text is in the enclosing block
        text = " ".join(element.get_text(" ").split())
        if text:
            prefix = "#" * int(element.name[1]) + " " if element.name[0] == "h" else ""
            blocks.append(prefix + text)
    if not blocks:  # no block structure: all of the visible text
        blocks = [" ".join(soup.get_text(" ").split())]
    return "\n\n".join(blocks)


def _pdf_text(path: Path, data: bytes) -> str:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise CorpusError(f"{path}: the PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
    except PdfReadError as exc:
        raise CorpusError(f"{path}: not a readable PDF ({exc})") from None
    return "\n\n".join(p.strip() for p in pages if p.strip())
