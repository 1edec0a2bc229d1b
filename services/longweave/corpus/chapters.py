"""A book's chapters, for the paradigms that read books chapter by chapter.

Chapters are the book's sections (`chunks.sections`: headings standing alone) narrowed to
what a reader calls chapters:

- numbered chapters when the book has them (CHAPTER/Chapter N, STAVE N, LETTER N, a Roman
  numeral, "12." …), so a preface, a list of illustrations or a publisher's page between
  headings is front matter, not a chapter;
- within parts (BOOK I / CHAPTER II, PART ONE / CHAPTER 3, VOLUME …), each chapter titled
  with its part, since chapter numbers start again in every part;
- a table of contents is never a chapter (its title says so, or its lines are a list);
- without numbered headings, every section but front matter (preface, contents, …);
- without two chapters at all, windows of about `window_tokens` at paragraph ends.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from longweave.corpus.chunks import _NUMBER, Section, chunk_map, sections
from longweave.corpus.extract import CorpusError
from longweave.llm.tokens import estimate_tokens

WINDOW_TOKENS = 4000
_CHAPTER = re.compile(
    rf"^(?:(?:CHAPTER|Chapter|STAVE|Stave|LETTER|Letter)\s+{_NUMBER}\b"
    r"|[IVXLCDM]+\.?(?:\s|$)|\d+\.?(?:\s|$))")
_ROMAN = re.compile(r"^[IVXLCDM]+\.?$")
_PART_WORDS = r"(?:BOOK|Book|PART|Part|VOLUME|Volume)"
_PART = re.compile(rf"^{_PART_WORDS}\s+{_NUMBER}\b")
_PART_LINE = re.compile(rf"^[ \t]*({_PART_WORDS}\s+{_NUMBER}\b[^\n]{{0,60}}?)[ \t.]*$")
_CONTENTS = re.compile(r"(?i)\b(?:contents|list of illustrations|illustrations)\b")
_FRONT_MATTER = re.compile(
    r"(?i)^(?:preface|foreword|introduction|contents|table of contents|dedication|"
    r"list of illustrations|illustrations|transcriber|editor|note|acknowledg|epigraph|"
    r"by the same author)")
_ENTRY = re.compile(r"\S(?: {3,}|\.{3,}|(?: \.){3,})\S|\s(?:\d{1,4}|[ivxlc]{1,6})$")


@dataclass(frozen=True)
class Chapter:
    index: int
    title: str
    start: int  # where its heading starts (a window: where its text starts)
    body_start: int
    end: int
    tokens: int


def _is_contents(title: str, body: str) -> bool:
    """A table of contents or a list of illustrations: it says so, or most of its lines
    are entries (a chapter number first, a page number last, or a leader of spaces or
    dots between), which a paragraph of prose's lines are not."""
    if _CONTENTS.search(title):
        return True
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    entries = [line for line in lines if _CHAPTER.match(line) or _ENTRY.search(line)]
    return len(lines) >= 4 and len(entries) >= 0.6 * len(lines)


def _parts(text: str) -> list[tuple[int, str]]:
    """Part headings alone on their line, with a blank line or the text's edge on either
    side: (offset, title)."""
    lines = text.split("\n")
    found, offset = [], 0
    for i, line in enumerate(lines):
        match = _PART_LINE.match(line)
        if match and (i == 0 or not lines[i - 1].strip()) \
                and (i + 1 == len(lines) or not lines[i + 1].strip()):
            found.append((offset + match.start(1), " ".join(match.group(1).split())))
        offset += len(line) + 1
    return found


def _numbering(title: str) -> str | None:
    """How a heading numbers its chapter: "word" (CHAPTER IV, Stave 2, also within a
    part's heading), "roman" (IV.), "arabic" (4.), or None."""
    if _PART.match(title):
        return "word" if re.search(r"(?i)\bchapter\b", title) else None
    match = _CHAPTER.match(title)
    if not match:
        return None
    head = match.group(0).strip()
    return "word" if head[0].isalpha() and len(head) > 1 and not _ROMAN.match(head) else \
        "roman" if _ROMAN.match(head) else "arabic"


def chapters(text: str, window_tokens: int = WINDOW_TOKENS) -> list[Chapter]:
    """The book's chapters, in order; windows when it has no two chapters."""
    found = sections(text)
    ends = [s.start for s in found[1:]] + [len(text)] if found else []
    kept: list[Section] = [s for s, end in zip(found, ends, strict=True)
                           if not _is_contents(s.title, text[s.body_start:end])]
    styles = Counter(style for s in kept if (style := _numbering(s.title)))
    if styles and styles.most_common(1)[0][1] >= 2:
        # One numbering runs through a book's chapters: a stray heading numbered another
        # way ("156 Charing Cross Road" on a title page) is front matter.
        style = styles.most_common(1)[0][0]
        chosen = [s for s in kept if _numbering(s.title) == style]
    else:
        chosen = [s for s in kept if not _FRONT_MATTER.match(s.title)]
    if len(chosen) < 2:
        return windows(text, window_tokens)
    parts = _parts(text)
    out = []
    for n, section in enumerate(chosen):
        end = chosen[n + 1].start if n + 1 < len(chosen) else len(text)
        title = section.title
        part = [p for at, p in parts if at <= section.start]
        if _PART.match(title):  # a part's heading over its first chapter's: "BOOK I CHAPTER I"
            title = re.sub(r"\s+(?=(?i:chapter)\b)", " / ", title, count=1)
        elif part:
            title = f"{part[-1]} / {title}"
        out.append(Chapter(n, title, section.start, section.body_start, end,
                           estimate_tokens(text[section.body_start:end])))
    return out


def windows(text: str, window_tokens: int = WINDOW_TOKENS) -> list[Chapter]:
    """About `window_tokens` each, ending at paragraph ends (`chunk_map`'s chunks)."""
    chunks = chunk_map(text, min(window_tokens, 400), [])
    out: list[Chapter] = []
    start = None
    for n, chunk in enumerate(chunks):
        start = chunk.start if start is None else start
        last = n + 1 == len(chunks)
        if last or estimate_tokens(text[start:chunks[n + 1].end]) > window_tokens:
            out.append(Chapter(len(out), f"Part {len(out) + 1}", start, start, chunk.end,
                               estimate_tokens(text[start:chunk.end])))
            start = None
    return out


def book_chapters(text: str, source: str, window_tokens: int = WINDOW_TOKENS
                  ) -> list[Chapter]:
    """A book's chapters, or a CorpusError when it has none and is too short to cut into
    two windows."""
    found = chapters(text, window_tokens)
    if len(found) < 2:
        raise CorpusError(f"{source}: no chapter headings, and at {estimate_tokens(text):,} "
                          f"tokens too short to cut into {window_tokens:,}-token windows: "
                          "not a book")
    return found
