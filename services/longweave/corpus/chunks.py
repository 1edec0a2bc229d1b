"""A document's structure for the corpus: sections from its headings, a chunk map with
character offsets and token counts, and a short map of the document (section titles with
their opening sentence) that prompts can show instead of the whole text."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from longweave.llm.tokens import estimate_tokens

CHUNK_TOKENS = 400
MAX_HEADING_CHARS = 80
# A heading whose section holds less text than this is part of a table of contents or a
# heading block (a chapter number over its title), not a section of its own.
MIN_SECTION_CHARS = 200
SUMMARY_CHARS = 200

# Numbers in English words, as headings spell them: ONE, Twenty-Three, the FIRST, LAST.
_UNITS = "one|two|three|four|five|six|seven|eight|nine"
_WORD_NUMBER = (
    rf"(?i:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:{_UNITS}))?"
    rf"|{_UNITS}|ten|eleven|twelve|(?:thir|four|fif|six|seven|eigh|nine)teen"
    r"|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth"
    r"|last|final)")
HEADING_NUMBER = rf"(?:[IVXLCDM]+|\d+|{_WORD_NUMBER}|[A-Z][a-z]+(?:-[A-Za-z]+)?)"
_HEADING = re.compile(
    r"^(?:#{1,6}\s+\S.*"  # Markdown
    rf"|(?:CHAPTER|Chapter|BOOK|Book|PART|Part|STAVE|Stave|LETTER|Letter|SECTION|Section"
    rf"|ACT|Act)\s+{HEADING_NUMBER}\b.*"
    # A Roman numeral alone, or before a title ("IV. Time Travelling", "IV The Machine");
    # not the pronoun opening a sentence ("I told him.", "I trembled. One subject!").
    r"|[IVXLCDM]+\.?|[IVXLCDM]+[.:]\s+\S.*|[IVXLCDM]+\s+(?!.*[.!?]\s)\S.*[^.!?\"'”’]"
    r"|\d+(?:\.\d+)*\.?\s+[A-Z][^.!?]*)$"  # numbered headings: "2.1 Methods"
)
MAX_TITLE_LINES = 3  # a title under a numbered heading may wrap (in capitals)
MAX_NAMED_TITLE_LINES = 4  # under "CHAPTER N", in any case
_NAMED = re.compile(rf"^(?:CHAPTER|Chapter|STAVE|Stave|LETTER|Letter)\s+{HEADING_NUMBER}\b")
_CAPITALS = re.compile(r"^[^a-z]*[A-Z][^a-z]*$")  # a line in capitals
_ILLUSTRATION = re.compile(r"\s*\[Illustration\]\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")


@dataclass(frozen=True)
class Section:
    title: str
    start: int  # where its heading starts
    body_start: int  # where its text starts


@dataclass(frozen=True)
class Chunk:
    index: int
    start: int
    end: int
    tokens: int
    section: int | None  # index into the sections, None before the first


def _lines(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def _heading_text(line: str) -> str:
    """A line as a heading reads: without illustration marks and the bracket closing an
    illustration's caption ("Chapter I.]")."""
    return _ILLUSTRATION.sub(" ", line).strip().rstrip("]").strip()


def _is_heading(line: str) -> bool:
    stripped = _heading_text(line)
    if not 0 < len(stripped) <= MAX_HEADING_CHARS or "   " in stripped:  # "   ": a TOC leader
        return False
    if _HEADING.match(stripped):
        return True
    return (bool(_CAPITALS.match(stripped)) and sum(c.isalpha() for c in stripped) >= 4
            and not stripped.startswith(("\"", "“", "'", "‘", "[")))  # quoted speech, notes


def _title_below(lines: list[tuple[int, str]], k: int, named: bool) -> tuple[str, int] | None:
    """The title lines from line `k` and the line after them, when they make a title, then
    a blank line (or the end): one short line that ends no sentence, or is in capitals
    ("PLAYING PILGRIMS."); up to MAX_TITLE_LINES lines in capitals; right under a heading
    that names itself a chapter (`named`: "CHAPTER 56.", "Chapter VI"), up to
    MAX_NAMED_TITLE_LINES lines of any case: a title that wraps ("CHAPTER 56. Of the Less
    Erroneous Pictures of Whales, and the True / Pictures of Whaling Scenes.")."""
    limit = MAX_NAMED_TITLE_LINES if named else MAX_TITLE_LINES
    block = []
    while k + len(block) < len(lines) and len(block) < limit + 1:
        line = lines[k + len(block)][1].strip()
        if not line:
            break
        block.append(line)
    end = k + len(block)
    if not block or len(block) > limit or (end < len(lines) and lines[end][1].strip()) \
            or any(len(line) > MAX_HEADING_CHARS for line in block):
        return None
    capitals = all(_CAPITALS.match(line) for line in block)
    if not named and len(block) > 1 and not capitals:
        return None
    if not named and not capitals and block[0].endswith((".", ",", ";", ":")):
        return None
    return " ".join(block), end


def sections(text: str) -> list[Section]:
    """Sections from heading lines that stand alone (blank lines around them). A heading
    directly followed by another short line (a chapter number over its title) is one
    heading; headings with next to no text before the next one (a table of contents) are
    not sections."""
    lines = _lines(text)
    candidates: list[tuple[int, int, str]] = []  # (start, end of heading block, title)
    i = 0
    while i < len(lines):
        start, line = lines[i]
        before_blank = i == 0 or not lines[i - 1][1].strip()
        if before_blank and _is_heading(line):
            title, j = _heading_text(line).lstrip("#").strip(), i + 1
            # A title under a numbered heading ("CHAPTER I." / "Down the Rabbit-Hole"), after
            # at most one blank line (a line in capitals is no number: "HASTIE LANYON."
            # signs off the chapter before).
            k = j + 1 if j < len(lines) and not lines[j][1].strip() else j
            if _HEADING.match(title):
                # Only a title right under its heading (no blank line between) may wrap in
                # any case: after a blank line, a short line may be the first paragraph.
                below = _title_below(lines, k, k == j and bool(_NAMED.match(title)))
                if below is not None:
                    title, j = f"{title} {below[0]}", below[1]
            if j >= len(lines) or not lines[j][1].strip():
                end = lines[j][0] if j < len(lines) else len(text)
                candidates.append((start, end, " ".join(_ILLUSTRATION.sub(" ", title).split())))
                i = j
                continue
        i += 1
    found = []
    for n, (start, end, title) in enumerate(candidates):
        following = candidates[n + 1][0] if n + 1 < len(candidates) else len(text)
        if len(text[end:following].strip()) >= MIN_SECTION_CHARS:
            found.append(Section(title=title, start=start, body_start=end))
    return found


def _paragraphs(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"\S(?:.*\S)?(?:\n(?!\s*\n).*\S)*", text)]


def _split_long(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """A paragraph over `limit` tokens, cut at sentence ends (or anywhere, as a last resort)."""
    pieces, piece_start = [], start
    for m in _SENTENCE_END.finditer(text, start, end):
        if estimate_tokens(text[piece_start:m.start()]) >= limit:
            pieces.append((piece_start, m.start()))
            piece_start = m.end()
    pieces.append((piece_start, end))
    out = []
    step = limit * 4  # characters, at ≈ 4 per token
    for s, e in pieces:
        out += [(p, min(p + step, e)) for p in range(s, e, step)] if e - s > 2 * step else [(s, e)]
    return out


def chunk_map(text: str, target_tokens: int = CHUNK_TOKENS,
              found: list[Section] | None = None) -> list[Chunk]:
    """Paragraphs grouped into chunks of about `target_tokens`, never across a section
    start; a paragraph longer than twice that is split at sentence ends."""
    found = sections(text) if found is None else found
    starts = [s.start for s in found]
    spans: list[tuple[int, int]] = []
    for s, e in _paragraphs(text):
        if estimate_tokens(text[s:e]) > 2 * target_tokens:
            spans += _split_long(text, s, e, target_tokens)
        else:
            spans.append((s, e))
    chunks: list[Chunk] = []
    current: list[tuple[int, int]] = []

    def section_of(pos: int) -> int | None:
        before = [i for i, s in enumerate(starts) if s <= pos]
        return before[-1] if before else None

    def close() -> None:
        if current:
            s, e = current[0][0], current[-1][1]
            chunks.append(Chunk(len(chunks), s, e, estimate_tokens(text[s:e]), section_of(s)))
            current.clear()

    for s, e in spans:
        crosses = current and section_of(s) != section_of(current[0][0])
        if crosses or (current and estimate_tokens(text[current[0][0]:e]) > target_tokens):
            close()
        current.append((s, e))
    close()
    return chunks


def first_sentences(text: str, limit: int = SUMMARY_CHARS) -> str:
    words = " ".join(text.split())
    out = ""
    for sentence in _SENTENCE_END.split(words):
        if out and len(out) + len(sentence) + 1 > limit:
            break
        out = f"{out} {sentence}".strip()
    return out[:limit]


def document_map(text: str, found: list[Section], chunks: list[Chunk]) -> list[dict[str, Any]]:
    """One entry per section (title, where it starts, its opening sentences); a document
    without headings gets one entry per ~8 chunks."""
    if found:
        ends = [s.start for s in found[1:]] + [len(text)]
        return [{"title": s.title, "start": s.start,
                 "summary": first_sentences(text[s.body_start:end])}
                for s, end in zip(found, ends, strict=True)]
    entries = []
    for n in range(0, len(chunks), 8):
        group = chunks[n:n + 8]
        entries.append({"title": f"Part {n // 8 + 1}", "start": group[0].start,
                        "summary": first_sentences(text[group[0].start:group[-1].end])})
    return entries


def structure(text: str, target_tokens: int = CHUNK_TOKENS) -> dict[str, Any]:
    """What the corpus stores about a text besides the text: token count, sections, chunk
    map and document map."""
    found = sections(text)
    chunks = chunk_map(text, target_tokens, found)
    return {
        "chars": len(text),
        "tokens": sum(c.tokens for c in chunks),
        "sections": [asdict(s) for s in found],
        "chunks": [asdict(c) for c in chunks],
        "map": document_map(text, found, chunks),
    }
