"""Text-quality measures of a record's turns: pure functions the validator's checks apply
(validator/checks.py) with the thresholds of `QualityThresholds`.

The word statistics follow DataTrove's ``GopherQualityFilter`` (v0.x,
src/datatrove/pipeline/filters/gopher_quality_filter.py, after Rae et al. 2021, "Scaling
Language Models: Methods, Analysis & Insights from Training Gopher", appendix A): the share
of words with an alphabetic character (at least 0.8; NeMo Curator's
``WordsWithoutAlphabetsFilter`` uses the same 0.8), the mean word length (3 to 10
characters), hash signs and ellipses per word (each at most 0.1), and stop words (at least
2). The line punctuation is DataTrove's ``FineWebQualityFilter``'s (Penedo et al. 2024,
"The FineWeb Datasets": at least 12% of the lines end in terminal punctuation). The
non-word tokens follow NeMo Curator's ``NumbersFilter`` and ``UrlsFilter`` in spirit
(digits and machine strings crowding out words) but count tokens, not characters.
The compression ratio is Whisper's (``openai/whisper``, transcribe.py, MIT: UTF-8 length
over zlib-compressed length, a window whose ratio is above 2.4 is a repetition loop).

Where this departs from them, and why:

- Words are whitespace tokens with the punctuation and symbols around them stripped
  (DataTrove splits with spaCy or NLTK, whose punctuation tokens count in the alphabetic
  share's denominator; here tokens of punctuation alone are not words at all, as in
  DataTrove's mean word length). A word's length counts code points, as ``len`` does there.
- A number as prose writes it (12, 3.5, 1,200, 40%) counts as a word in the alphabetic
  share: Gopher's rule reads number-dense prose, such as a reasoning trace over figures
  ("locker 12 opens locker 7 ... holds 40 coins"), as symbol soup. Machine digit runs and
  identifiers stay non-words (`is_non_word`).
- A number with its unit, ordinal or time of day (5kg, 3rd, 1990s, 10:30am), a range or a
  date (07:00-13:00, 2024-03-01) is a number, not an identifier; a short code of capitals
  and digits (BA2490, SW1A, Q1) is a non-word token that prose cites, half a token in the
  share (a list of them still fails) and a whole one in a short turn's rule (`is_code`);
  a token the record quotes from its source document or an earlier turn is not counted.
- Stop words are stopwords-iso's lists for the record's language (language.py), not
  Gopher's eight English words (the, be, to, of, and, that, have, with): the records are
  in 45 languages. The lists are broad (English: 1,261 entries), so a turn passes
  on fewer real function words than Gopher's rule would need.
- Markdown heading markers (``##`` at a line's start) are formatting, not hash symbols.
- FineWeb's line punctuation is measured over the record's prose lines as a whole, code
  and Markdown table rows left out; its other rules do not transfer to dialogue: short
  lines (most lines at most 30 characters) are what chat turns are, duplicated lines are
  the loop, compression and repeated-turn checks' work, and newlines per word penalise
  the lists and tables an answer may rightly hold.
- The compression ratio is measured on characters, not UTF-8 bytes (ASCII characters are
  their own byte, the others get one-byte codes from 128 on, two-byte ones past 128 of
  them): for ASCII text it is Whisper's ratio exactly, and a Greek or Arabic turn, two
  bytes a letter in UTF-8, is not read as repetitive for its encoding (the same answer
  in Greek or Arabic: 1.5, in English 1.6, over 500 characters; Greek in bytes: 2.0). It
  is taken per window of `COMPRESSION_WINDOW` characters, whitespace runs collapsed,
  because the ratio of prose grows with its length (1,500 windows of five novels: median
  1.66 over 500 characters, 1.82 over 1,000, 2.11 over 4,000; the highest over 1,000:
  2.24), as Whisper measures 30-second segments.
- These thresholds were set on web documents of 50 words and more. A chat turn is often
  much shorter, and a ratio over three words says nothing (half the words of "2 adults,
  1 child" have no letter). So the ratio statistics judge a turn alone only from
  ``min_words`` words (20); shorter turns are judged within the record's prose as a whole
  (all its turns together), and by rules that need no sample: a short turn fails when
  most of its words are non-word tokens (a single garbage token is a turn of one word,
  all of it garbage), a turn of `SHORT_TURN_WORDS` words or more needs a stop word, and
  code is code at any length.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

from longweave.language import UNSPACED_LETTERS, normalise_word

# Below this many words a turn is a greeting or a confirmation: no stop word is expected.
SHORT_TURN_WORDS = 6
# A run of this many digits with no separator is a machine string, not a number in prose.
LONG_DIGIT_RUN = 7
COMPRESSION_WINDOW = 1000
# Scripts written without spaces between words: word statistics mean nothing in them.
_UNSPACED_LETTER = re.compile(UNSPACED_LETTERS)
# Languages whose space-separated units are syllables (Vietnamese) or one Hangul block a
# syllable (Korean): short "words" by construction, so Gopher's lower bound on the mean
# word length does not apply (measured: 3.1 and 3.3 on ordinary prose).
SHORT_WORD_LANGUAGES = frozenset({"vi", "ko"})

_LETTER = re.compile(r"[^\W\d_]")
# An underscore, a long digit run, a letter and a digit in one token, or brackets, braces,
# angle brackets, a backslash, a pipe or "=" inside a token (a regex, markup, a query).
_NON_WORD = re.compile(r"_|\d{%d,}|[^\W\d_].*\d|\d.*[^\W\d_]|[\[\]{}<>\\|=]" % LONG_DIGIT_RUN)
# A short code of capitals and digits, as prose cites flight numbers, postcodes, models and
# references (BA2490, SW1A, INV-0311, COVID-19): a non-word token, but not a sign of garbage
# on its own (`is_code`).
_CODE = re.compile(r"(?=.*\d)(?=.*[A-Z])[A-Z\d]+(?:[-/][A-Z\d]+)*")
MAX_CODE_LENGTH = 10
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}(?=\s)", re.MULTILINE)
_TABLE_ROW = re.compile(r"^[ \t]*\|.*\|[ \t]*$", re.MULTILINE)
_HEADING_OR_ITEM = re.compile(r"[ \t]*(?:#{1,6}|[-*+•]|\d{1,3}[.)])[ \t]")
_ELLIPSIS = re.compile(r"\.\.\.|…")
_WHITESPACE = re.compile(r"\s+")
_FENCE = re.compile(r"^\s*(```|~~~)")
_INLINE_CODE = re.compile(r"`[^`\n]+`")
# TeX math, which braces do not make code: $…$, $$…$$, \(…\), \[…\], \cmd{…}{…}.
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$|\\\(.+?\\\)|\\\[.+?\\\]|\\[A-Za-z]+(?:\{[^{}\n]*\})+")
# A template placeholder prose talks about ({first_name}, {{ order_id }}): not code, and
# not a word either. A shell's ${HOME} and a block's { return } are code.
_PLACEHOLDER = re.compile(r"(?<![$\w])(?:\{[^\W\d][\w.]*\}|\{\{\s*[^\W\d][\w.]*\s*\}\})")
# A line with one of these is code or JSON, not prose.
_CODE_SIGNALS = (
    re.compile(r"[{}]"),  # braces: blocks, objects, templates
    re.compile(r"(?<![:/\w])//|/\*|\*/"),  # comments (not a URL's //)
    # a JSON member, opening a line or an object (not a quoted label: 'reads "Net": 5')
    re.compile(r'(?:^|[{\[])\s*"[^"\n]{1,80}"\s*:\s*(?:["\[{\d-]|true\b|false\b|null\b)'),
    re.compile(r"</[A-Za-z][\w:-]*\s*>|<[A-Za-z][\w:-]*(?:\s+[\w:-]+=\"[^\"]*\")*\s*/>"),
    # an HTML element's opening tag (not "<<A plan>>")
    re.compile(r"(?<!<)<(?:a|b|i|u|p|em|strong|br|hr|div|span|ul|ol|li|h[1-6]|table|tr|td|th|"
               r"img|code|pre|script|style)(?:\s[^<>]*)?>", re.IGNORECASE),
    re.compile(r"=>|:=|==|!=|&&"),  # not ||: an empty cell of a Markdown table
    re.compile(r"^\s*(?:def|function|func|fn)\s+\w+\s*\("),
    re.compile(r"^\s*(?:class|struct|interface)\s+\w+\s*[:({]"),
    re.compile(r"^\s*(?:import\s+[\w.]+\s*;?\s*$|from\s+[\w.]+\s+import\s|#include\s*[<\"])"),
    re.compile(r"^\s*(?:const|let|var)\s+\w+\s*="),
    # a call or an assignment ending in ";" (a call's "(" follows its name: not "bank
    # statements (March and April);" nor "item(s);")
    re.compile(r"[\w)\]]\((?!s\))[^()\n]*\)\s*;\s*$|^\s*\w+(?:\.\w+)*\s*=\s*[^=\n]+;\s*$"),
)


def is_punctuation(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] in "PSZC"


@lru_cache(maxsize=256)
def words(text: str) -> tuple[str, ...]:
    """The text's words: whitespace tokens without the punctuation and symbols around them
    (a token of punctuation alone is no word, nor is a template placeholder)."""
    out = []
    if "{" in text:
        text = _PLACEHOLDER.sub(" ", text)
    for token in text.split():
        if not (token[0].isalnum() and token[-1].isalnum()):
            start, end = 0, len(token)
            while start < end and is_punctuation(token[start]):
                start += 1
            while end > start and is_punctuation(token[end - 1]):
                end -= 1
            token = token[start:end]
        if token:
            out.append(token if token.isascii() else unicodedata.normalize("NFC", token))
    return tuple(out)


def has_letter(word: str) -> bool:
    return _LETTER.search(word) is not None


# A number as prose writes it: up to six digits a group, with separators, a sign, a
# percent, a unit, an ordinal or a decade (12, 3.5, 1,200, -4, 40%, 3/4, 5kg, 64GB, 20°C,
# 3rd, 1990s), a time (10:30, 10:30am), a range or a date (9-5, 10-12kg, 07:00-13:00,
# 2024-03-01); longer digit runs are machine strings, other letters after digits are not
# units (4471ab, 0xFF).
_UNITS = ("km/h|m/s|kbps|mbps|gbps|kwh|mah|khz|mhz|ghz|mph|kph|kmh|hrs|min|mins|sec|"
          "bn|mn|kg|mg|km|cm|mm|ml|cl|hr|ms|kb|mb|gb|tb|kw|hz|px|pt|ft|lb|lbs|oz|yo|"
          "st|nd|rd|th|am|pm|k|m|b|g|t|l|h|s|w|v|x|p|d")
_QUANTITY = rf"\d{{1,6}}(?:[.,/]\d{{1,6}})*(?:%|°[CF]?|{_UNITS})?"
_CLOCK = r"\d{1,2}(?::\d{2}){1,2}(?:[ap]\.?m\.?)?"
_NUMBER = re.compile(
    rf"[-+]?(?:{_QUANTITY}(?:[-\u2013]{_QUANTITY})*|{_CLOCK}(?:[-\u2013]{_CLOCK})?)",
    re.IGNORECASE)


def is_number(word: str) -> bool:
    return _NUMBER.fullmatch(word) is not None


def is_non_word(word: str) -> bool:
    """A machine string rather than a word of prose: identifier-like (an underscore,
    letters and digits mixed in one token, brackets or operators inside it) or a long run
    of digits. A number with its unit or ordinal (`is_number`) is a word."""
    return _NON_WORD.search(word) is not None and not is_number(word)


def is_code(word: str) -> bool:
    """A short code of capitals and digits (BA2490, SW1A, INV-0311): a non-word token
    ordinary prose cites."""
    return len(word) <= MAX_CODE_LENGTH and _CODE.fullmatch(word) is not None


def unspaced_share(text: str) -> float:
    """Share of the text's letters in scripts written without spaces between words."""
    letters = len(_LETTER.findall(text))
    return len(_UNSPACED_LETTER.findall(text)) / letters if letters else 0.0


@lru_cache(maxsize=256)
def is_unspaced_text(text: str) -> bool:
    return unspaced_share(text) >= 0.5


def word_count(text: str) -> int:
    """Words, or for text written without spaces an estimate (a word per two letters)."""
    if is_unspaced_text(text):
        return len(_LETTER.findall(text)) // 2
    return len(words(text))


@dataclass(frozen=True)
class WordStats:
    """Gopher's word statistics of a text (see the module's docstring); the statistics of
    several texts together are their sum."""

    words: int
    alpha_words: int
    length_sum: int
    hashes: int
    ellipses: int
    non_words: tuple[str, ...]
    numbers: int = 0  # figures as prose writes them (`is_number`), without a letter
    table_words: int = 0  # words in the rows of Markdown tables
    table_numbers: int = 0  # figures among them

    @property
    def mostly_figures(self) -> bool:
        """More than half the words outside tables are figures (a table of figures is
        what a table is for)."""
        return 2 * (self.numbers - self.table_numbers) > self.words - self.table_words

    @property
    def mean_word_length(self) -> float:
        return self.length_sum / self.words if self.words else 0.0

    @property
    def alpha_share(self) -> float:
        """Words with a letter, or numbers, per word (see the module's docstring)."""
        return (self.alpha_words + self.numbers) / self.words if self.words else 0.0

    def per_word(self, count: int) -> float:
        return count / self.words if self.words else float(count > 0)

    def __add__(self, other: WordStats) -> WordStats:
        return WordStats(self.words + other.words, self.alpha_words + other.alpha_words,
                         self.length_sum + other.length_sum, self.hashes + other.hashes,
                         self.ellipses + other.ellipses, self.non_words + other.non_words,
                         self.numbers + other.numbers, self.table_words + other.table_words,
                         self.table_numbers + other.table_numbers)


NO_WORDS = WordStats(0, 0, 0, 0, 0, ())


def _figures(found: tuple[str, ...]) -> int:
    return sum(1 for w in found if is_number(w) and not has_letter(w))


@lru_cache(maxsize=256)
def word_stats(text: str) -> WordStats:
    found = words(text)
    in_tables = words("\n".join(_TABLE_ROW.findall(text))) if "|" in text else ()
    return WordStats(
        words=len(found),
        alpha_words=sum(1 for w in found if has_letter(w)),
        length_sum=sum(len(w) for w in found),
        hashes=_HEADING.sub("", text).count("#"),
        ellipses=len(_ELLIPSIS.findall(text)),
        non_words=tuple(w for w in found if is_non_word(w)),
        numbers=_figures(found),
        table_words=len(in_tables),
        table_numbers=_figures(in_tables),
    )


def stop_word_count(text: str, stop_words: Collection[str]) -> int:
    return sum(1 for w in words(text) if normalise_word(w) in stop_words)


def _code_flags(lines: list[str]) -> list[bool]:
    flags, fenced = [], False
    for line in lines:
        if _FENCE.match(line):
            fenced = not fenced
            flags.append(True)
            continue
        bare = _PLACEHOLDER.sub(" ", _MATH.sub(" ", line))
        flags.append(fenced or any(signal.search(bare) for signal in _CODE_SIGNALS))
    return flags


def code_lines(text: str) -> list[str]:
    """The lines of `text` that are code or JSON: inside a fenced block (fences included),
    or carrying a signal prose never has (braces, comments, JSON members, closing tags,
    operators, definitions, statements ending in ``;``). TeX math (``$…$``, ``\\(…\\)``,
    ``\\frac{1}{2}``) is not code."""
    lines = text.splitlines()
    return [line for line, code in zip(lines, _code_flags(lines), strict=True) if code]


@lru_cache(maxsize=256)
def is_all_code(text: str) -> bool:
    """Whether the whole text is code or JSON: every non-blank line is, or it is one JSON
    value or fenced block from its first character to its last."""
    stripped = text.strip()
    if not stripped:
        return False
    if (stripped[0], stripped[-1]) in (("{", "}"), ("[", "]")) or (
            stripped.startswith(("```", "~~~")) and stripped.endswith(("```", "~~~"))):
        return True
    lines = [line for line in stripped.splitlines() if line.strip()]
    return all(_code_flags(lines))


@lru_cache(maxsize=256)
def without_code(text: str) -> str:
    """`text` with its code lines and inline code spans removed: the prose around them."""
    lines = text.splitlines()
    kept = [line for line, code in zip(lines, _code_flags(lines), strict=True) if not code]
    return _INLINE_CODE.sub(" ", "\n".join(kept))


# Marks that end a sentence, in the scripts the catalog writes (FineWeb counts ". ' " ! ?";
# a quote or bracket closing after the mark is stripped instead).
TERMINAL_PUNCTUATION = frozenset(".!?…。！？｡।॥۔؟።፧။។")
_CLOSING = "\"'”’»)]*_」』）"


def prose_lines(text: str) -> list[str]:
    """The text's non-blank lines that are sentences: not code or JSON (`code_lines`), and
    not a Markdown table row, heading or list item (which end without a full stop)."""
    lines = text.splitlines()
    return [line for line, code in zip(lines, _code_flags(lines), strict=True)
            if line.strip() and not code and not _TABLE_ROW.fullmatch(line)
            and not _HEADING_OR_ITEM.match(line)]


def ends_a_sentence(line: str) -> bool:
    """Whether the line ends in terminal punctuation (FineWeb's line test)."""
    bare = line.rstrip().rstrip(_CLOSING)
    return bool(bare) and bare[-1] in TERMINAL_PUNCTUATION


def _char_codes(text: str) -> bytes:
    """The text one byte a character: ASCII as itself, other characters numbered from 128
    in order of appearance (two bytes a character when there are more than 128 of them)."""
    codes: dict[str, int] = {}
    for ch in text:
        if ch not in codes and ord(ch) >= 128:
            codes[ch] = 128 + len(codes)
    if len(codes) <= 128:
        return bytes(codes.get(ch) or ord(ch) for ch in text)
    return b"".join((codes.get(ch) or ord(ch)).to_bytes(2, "little") for ch in text)


def compression_ratio(text: str) -> float:
    """Whisper's compression ratio, over characters (see the module's docstring)."""
    encoded = _char_codes(text)
    return len(encoded) / len(zlib.compress(encoded)) if encoded else 0.0


def max_compression_ratio(text: str, window: int = COMPRESSION_WINDOW) -> tuple[float, str]:
    """The highest compression ratio over windows of `window` characters (half-overlapping;
    a shorter text is one window), whitespace runs collapsed; and the window's start."""
    flat = _WHITESPACE.sub(" ", text).strip()
    if len(flat) <= window:
        return compression_ratio(flat), flat[:60]
    step = window // 2
    best = (0.0, "")
    for start in range(0, len(flat) - window + step, step):
        piece = flat[start : start + window]
        ratio = compression_ratio(piece)
        if ratio > best[0]:
            best = (ratio, piece[:60])
    return best


def similarity(a: str, b: str) -> float:
    """How much of two texts is the same, 0 to 1: the normalised Indel similarity of their
    lower-cased words (rapidfuzz's ``fuzz.ratio``)."""
    from rapidfuzz import fuzz

    return float(fuzz.ratio(" ".join(words(a.lower())), " ".join(words(b.lower())))) / 100
