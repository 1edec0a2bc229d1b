"""A book's chapters, for the paradigms that read books chapter by chapter.

Chapters are the book's sections (`chunks.sections`: headings standing alone) narrowed to
what a reader calls chapters:

- numbered chapters when the book has them (CHAPTER/Chapter N, STAVE N, LETTER N, a Roman
  numeral, "12." …, N also in words), in the numbering most of them use, so a preface, a
  list of illustrations or a publisher's page between headings is front matter, not a
  chapter; a numbered heading out of sequence with its neighbours (a contents entry left
  over, a caption that opens with "I") is a stray;
- within parts (BOOK I / CHAPTER II, PART ONE / CHAPTER 3, VOLUME …), each chapter titled
  with its part, since chapter numbers start again in every part (a part heading counts
  where a chapter follows it, not in the contents);
- a table of contents is never a chapter (its title says so, or its lines are a list);
- without numbered headings, every section but front matter (preface, contents, …);
- without two chapters at all, windows of about `window_tokens` at paragraph ends.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from longweave.corpus.chunks import HEADING_NUMBER, Section, chunk_map, sections
from longweave.corpus.extract import CorpusError
from longweave.llm.tokens import estimate_tokens

WINDOW_TOKENS = 4000
_CHAPTER = re.compile(
    rf"^(?:(?:CHAPTER|Chapter|STAVE|Stave|LETTER|Letter)\s+{HEADING_NUMBER}\b"
    r"|[IVXLCDM]+\.?(?:\s|$)|\d+\.?(?:\s|$))")
_ROMAN = re.compile(r"^[IVXLCDM]+\.?$")
# A line that opens like a chapter heading (at its line's start, indented or not).
_CHAPTER_LINE = re.compile(
    rf"^[ \t]*(?:(?:CHAPTER|Chapter|STAVE|Stave|LETTER|Letter)\s+{HEADING_NUMBER}|[IVXLCDM]+[.:]|"
    r"\d+\.)", re.MULTILINE)
_PART_WORDS = r"(?:BOOK|Book|PART|Part|VOLUME|Volume)"
_PART = re.compile(rf"^{_PART_WORDS}\s+{HEADING_NUMBER}\b")
_PART_LINE = re.compile(rf"^[ \t]*({_PART_WORDS}\s+{HEADING_NUMBER}\b[^\n]{{0,60}}?)[ \t.]*$")
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


def _real_parts(parts: list[tuple[int, str]], chosen: list[Section], text: str
                ) -> list[tuple[int, str]]:
    """Part headings that open a part: the first chapter-like line after one is a chapter
    of the book, not another contents entry ("Part Second" in the contents is not)."""
    starts = {s.start for s in chosen}
    real = []
    for at, title in parts:
        entry = _CHAPTER_LINE.search(text, at + len(title))
        line_start = text.rfind("\n", 0, at) + 1
        if line_start in starts or (entry is not None and entry.start() in starts):
            real.append((at, title))
    return real


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


_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_WORD_VALUES = {w: n for n, w in enumerate(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split(), start=1)}
_WORD_VALUES |= {w: n for n, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh "
    "twelfth".split(), start=1)}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}


def _value(token: str) -> int | None:
    """A chapter number's value: Roman, Arabic or in words; None for anything else."""
    token = token.strip(".:").lower()
    if token.isdigit():
        return int(token)
    if re.fullmatch(r"[ivxlcdm]+", token):
        values = [_ROMAN_VALUES[c] for c in token.upper()]
        return sum(-v if i + 1 < len(values) and v < values[i + 1] else v
                   for i, v in enumerate(values))
    if token in _WORD_VALUES:
        return _WORD_VALUES[token]
    tens, _, unit = token.replace(" ", "-").partition("-")
    if tens in _TENS:
        return _TENS[tens] + (_WORD_VALUES.get(unit, 0) if unit else 0)
    return None


def chapter_number(title: str) -> int | None:
    """The number a chapter heading gives itself (within its part), if it gives one."""
    named = re.search(r"(?i)\b(?:chapter|stave|letter)\s+([a-z]+-[a-z]+|[^\s.:]+)", title)
    if named:
        return _value(named.group(1))
    if _PART.match(title):
        return None
    lead = re.match(r"^([^\s.:]+)", title)
    return _value(lead.group(1)) if lead else None


def _in_sequence(chosen: list[Section]) -> list[Section]:
    """Numbered chapters without a neighbour in sequence (the one before numbered one
    less, or the one after one more) are strays: a contents entry left over, a caption
    that opens with "I". (A part of a single chapter would be one too: none was seen.)"""
    numbers = [chapter_number(s.title) for s in chosen]
    kept = []
    for i, section in enumerate(chosen):
        n = numbers[i]
        before = numbers[i - 1] if i > 0 else None
        after = numbers[i + 1] if i + 1 < len(chosen) else None
        if n is None or (before is not None and before == n - 1) \
                or (after is not None and after == n + 1):
            kept.append(section)
    return kept


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
        numbered = [s for s in kept if _numbering(s.title) == style]
        chosen = _in_sequence(numbered)
        parts = _real_parts(_parts(text), chosen, text)
    else:
        chosen = [s for s in kept if not _FRONT_MATTER.match(s.title)]
        parts = _real_parts(_parts(text), chosen, text)
    if len(chosen) < 2:
        return windows(text, window_tokens)
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
