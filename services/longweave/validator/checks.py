"""The rule checks every paradigm shares: truncation, generation loops, near-duplicates,
personal data, language, the verifiable constraint layers a sample was given, and the
quality of the text itself (words with letters, word length, symbols, non-word tokens,
code in prose, stop words, compression, a turn repeating the last of its role: measured
by text_quality.py, with the thresholds of `CheckInput.quality`). The registry and
`CheckInput`: longweave/checks.py."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from longweave.checks import CheckInput, failed, passed, register_check
from longweave.complexify.specs import check_layers
from longweave.contracts import CheckResult
from longweave.language import (
    detect_language,
    is_unspaced,
    language_of_locale,
    same_language,
    stop_words,
)
from longweave.validator import text_quality as tq
from longweave.validator.minhash import DUPLICATE_JACCARD
from longweave.validator.policy import find_pii

Draft = CheckInput[Any]  # every paradigm's


@register_check("truncation")
def truncation(draft: Draft) -> CheckResult:
    cut = [i for i, reason in enumerate(draft.finish_reasons) if reason == "length"]
    if cut:
        return failed("truncation", f"segments {cut} were cut off at max_tokens "
                     "(finish_reason=length)", cut)
    return passed("truncation")


_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE = re.compile(r"[^.!?]+[.!?]?")
LOOP_NGRAM = 5
LOOP_MAX_NGRAM_REPEATS = 4
LOOP_MAX_SENTENCE_REPEATS = 3


def _normalise(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


# Quotations repeat their sources by design (a trace quoting four facts of one form): they
# are left out of the loop counts.
_QUOTED = re.compile(r'"[^"]{1,600}"|“[^”]{1,600}”')


def _loop_in(text: str) -> str | None:
    """Why `text` looks like a generation loop (quotations aside), or None."""
    text = _QUOTED.sub(" ", text)
    sentences = Counter(s for s in (_normalise(x) for x in _SENTENCE.findall(text)) if
                        len(s.split()) >= 3)
    sentence, times = sentences.most_common(1)[0] if sentences else ("", 0)
    if times >= LOOP_MAX_SENTENCE_REPEATS:
        return f"the sentence {sentence[:60]!r} repeats {times} times"
    words = _WORD.findall(text.lower())
    grams = Counter(tuple(words[i : i + LOOP_NGRAM]) for i in range(len(words) - LOOP_NGRAM + 1))
    gram, times = grams.most_common(1)[0] if grams else ((), 0)
    if times >= LOOP_MAX_NGRAM_REPEATS:
        return f"the phrase {' '.join(gram)!r} repeats {times} times"
    return None


@register_check("loop_detection")
def loop_detection(draft: Draft) -> CheckResult:
    name = "loop_detection"
    seen: dict[str, int] = {}
    for i, turn in enumerate(draft.dialogue):
        looping = _loop_in(turn.content)
        if looping:
            return failed(name, f"turn {i + 1} ({turn.role}) loops: {looping}",
                         draft.units_of_part(i))
        key = f"{turn.role}:{_normalise(turn.content)}"
        if key in seen and len(key.split()) > 3:
            return failed(name, f"turn {i + 1} repeats turn {seen[key] + 1} verbatim",
                         draft.units_of_part(i))
        seen.setdefault(key, i)
    return passed(name)


@register_check("near_duplicate")
def near_duplicate(draft: Draft) -> CheckResult:
    name = "near_duplicate"
    match = draft.duplicate_of
    if match is None:
        return passed(name)
    return failed(name, f"near-duplicate of {match.sample_id} (estimated Jaccard "
                 f"{match.similarity:.2f} ≥ {DUPLICATE_JACCARD}); write a different "
                 "record", duplicate_of=match.sample_id, similarity=match.similarity)


@register_check("pii_policy")
def pii_policy(draft: Draft) -> CheckResult:
    name = "pii_policy"
    if not draft.spec.forbid_pii:
        return passed(name, applied=False)
    for i, turn in enumerate(draft.dialogue):
        found = find_pii(turn.content)
        if found:
            kinds = sorted({kind for kind, _ in found})
            return failed(name, f"turn {i + 1} contains personal data ({', '.join(kinds)}), "
                         "which the request forbids; use placeholders",
                         draft.units_of_part(i), kinds=kinds)
    return passed(name, applied=True)


@register_check("language")
def language(draft: Draft) -> CheckResult:
    name = "language"
    expected = draft.spec.language
    if not expected:
        return passed(name, applied=False)
    detected = detect_language(" ".join(t.content for t in draft.dialogue), expected)
    if not same_language(expected, detected):
        return failed(name, f"the record is not in the requested language {expected!r} "
                     f"(detected: {detected or 'unclear'})", detected=detected)
    return passed(name, detected=detected)


@register_check("constraint_layers")
def constraint_layers(draft: Draft) -> CheckResult:
    """The verifiable constraint layers the sample was given (word limits, formats, …)."""
    name = "constraint_layers"
    results = check_layers(draft.layers, draft.dialogue)
    broken = [r for r in results if not r.passed]
    if broken:
        return failed(name, "; ".join(f"{r.check}: {r.reason}" for r in broken),
                      failed=[r.check for r in broken])
    return passed(name, checked=[r.check for r in results])


# -- text quality --------------------------------------------------------------------------


# The language of a text is identified from its beginning: this much says it as well as
# the whole would, and bounds what the cache below keeps.
LANGUAGE_SAMPLE_CHARS = 10_000


def _language(text: str) -> str | None:
    return _language_of_sample(text[:LANGUAGE_SAMPLE_CHARS])


@lru_cache(maxsize=1024)
def _language_of_sample(text: str) -> str | None:
    return detect_language(text)


@dataclass(frozen=True)
class _Prose:
    """A dialogue turn as the text-quality checks read it."""

    index: int  # in the dialogue
    role: str
    text: str  # what the word checks read: without code where the request asks for code
    code_allowed: bool
    unspaced: bool  # written without spaces between words: no word statistics

    @property
    def name(self) -> str:
        return f"turn {self.index + 1} ({self.role})"


def _prose(draft: Draft) -> list[_Prose]:
    roles = draft.code_roles
    turns = []
    for i, part in enumerate(draft.dialogue):
        allowed = part.role in roles
        if allowed and tq.is_all_code(part.content):
            continue
        text = tq.without_code(part.content) if allowed else part.content
        if text.strip():
            turns.append(_Prose(i, part.role, text, allowed, tq.is_unspaced_text(text)))
    return turns


def _record_language(draft: Draft, turns: list[_Prose]) -> str | None:
    """The language the record is in: the requested one, else the one identified in its
    prose, else its scenario's (the locale's; e.g. when the prose is too garbled to be
    identified)."""
    if draft.spec.language:
        return draft.spec.language
    sample: list[str] = []
    for turn in turns:
        sample.append(turn.text)
        if sum(map(len, sample)) >= LANGUAGE_SAMPLE_CHARS:
            break
    geography = draft.scenario.get("geography") or {}
    return _language("\n".join(sample)) or language_of_locale(geography.get("locale"))


def _outcome(draft: Draft, name: str, problems: list[tuple[_Prose | None, str]],
             **details: Any) -> CheckResult:
    """Passed, or failed naming every turn at fault (a problem of the record as a whole,
    `None` for a turn, is the whole record's: no units named)."""
    if not problems:
        return passed(name, applied=True, **details)
    whole = any(turn is None for turn, _ in problems)
    units = [] if whole else [u for turn, _ in problems if turn is not None
                              for u in draft.units_of_part(turn.index)]
    shown = "; ".join(reason for _, reason in problems[:4])
    more = f" (and {len(problems) - 4} more)" if len(problems) > 4 else ""
    return failed(name, shown + more, units,
                  turns=sorted({t.index + 1 for t, _ in problems if t is not None}),
                  **details)


Language = Callable[[], str | None]  # the language of what is judged, asked when needed


def _word_check(draft: Draft, name: str, enabled: bool,
                judge: Callable[[tq.WordStats, Language], str | None]) -> CheckResult:
    """Apply `judge` (a turn's or the record's word statistics and language → the problem
    or None) to each spaced turn of ``min_words`` words or more, and to the record's prose
    as a whole."""
    if not enabled:
        return passed(name, applied=False)
    minimum = draft.quality.min_words
    turns = [t for t in _prose(draft) if not t.unspaced]

    def record_language() -> str | None:
        return _record_language(draft, turns)

    problems: list[tuple[_Prose | None, str]] = []
    for turn in turns:
        stats = tq.word_stats(turn.text)
        if stats.words >= minimum:
            problem = judge(stats, lambda text=turn.text: _language(text) or record_language())
            if problem:
                problems.append((turn, f"{turn.name}: {problem}"))
    whole = sum((tq.word_stats(t.text) for t in turns), tq.NO_WORDS)
    if whole.words >= minimum and not problems:
        problem = judge(whole, record_language)
        if problem:
            problems.append((None, f"the record's prose as a whole: {problem}"))
    return _outcome(draft, name, problems, measured_turns=len(turns))


@register_check("alpha_words")
def alpha_words(draft: Draft) -> CheckResult:
    """Most words have a letter or are numbers (Gopher: 80% with a letter; numbers in prose
    count here, `text_quality`). A turn with text but no word at all (only punctuation and
    symbols) fails whatever its length."""
    name = "alpha_words"
    threshold = draft.quality.min_alpha_word_share
    if threshold is None:
        return passed(name, applied=False)
    empty = [(t, f"{t.name} has no word, only punctuation or symbols")
             for t in _prose(draft) if not t.unspaced and tq.word_stats(t.text).words == 0]
    if empty:
        return _outcome(draft, name, list(empty))

    def judge(stats: tq.WordStats, _: Language) -> str | None:
        if stats.mostly_figures:
            return (f"{stats.numbers - stats.table_numbers} of its "
                    f"{stats.words - stats.table_words} words outside tables are numbers: "
                    "figures, not prose")
        if stats.alpha_share < threshold:
            return (f"{stats.alpha_share:.0%} of its {stats.words} words have a letter or "
                    "are numbers, "
                    f"below {threshold:.0%} (min_alpha_word_share)")
        return None

    return _word_check(draft, name, True, judge)


@register_check("word_length")
def word_length(draft: Draft) -> CheckResult:
    """The mean word length is inside Gopher's range (3-10 characters); the lower bound is
    not applied to languages of short written words (`tq.SHORT_WORD_LANGUAGES`)."""
    name = "word_length"
    low, high = draft.quality.min_mean_word_length, draft.quality.max_mean_word_length

    def judge(stats: tq.WordStats, language: Language) -> str | None:
        mean = stats.mean_word_length
        if low is not None and mean < low and language() not in tq.SHORT_WORD_LANGUAGES:
            return (f"mean word length {mean:.1f} characters, below {low:g} "
                    "(min_mean_word_length)")
        if high is not None and mean > high:
            return (f"mean word length {mean:.1f} characters, above {high:g} "
                    "(max_mean_word_length)")
        return None

    return _word_check(draft, name, low is not None or high is not None, judge)


@register_check("symbol_ratio")
def symbol_ratio(draft: Draft) -> CheckResult:
    """Hash signs and ellipses per word (Gopher: each at most 0.1; Markdown heading
    markers are not counted)."""
    name = "symbol_ratio"
    threshold = draft.quality.max_symbol_word_ratio

    def judge(stats: tq.WordStats, _: Language) -> str | None:
        assert threshold is not None
        for symbol, count in (("hash signs", stats.hashes), ("ellipses", stats.ellipses)):
            ratio = stats.per_word(count)
            if ratio > threshold:
                return (f"{count} {symbol} for {stats.words} words ({ratio:.2f} a word), "
                        f"above {threshold:g} (max_symbol_word_ratio)")
        return None

    return _word_check(draft, name, threshold is not None, judge)


@register_check("non_word_tokens")
def non_word_tokens(draft: Draft) -> CheckResult:
    """Identifier-like tokens and long digit runs: at most ``max_non_word_share`` of a
    turn's words (of the record's prose as a whole too), short codes of capitals and
    digits (`tq.is_code`: BA2490, Q1, SW1A) counted as half a token, as prose cites them
    (a list of them is still a list of codes). A shorter turn
    fails when non-word tokens, codes included, are most of its words (a turn that is one
    garbage token), or half of them unless all are codes: "Flight BA2490, gate B12?"
    passes; "<NAME>, 2018-09-21T23:19:56.65Z, 7:34Mb; ESMX" fails. A token the record
    draws from its source (`CheckInput.source_text`: a document's invoice number) or from
    an earlier turn is quoted, not written, and is not counted."""
    name = "non_word_tokens"
    threshold = draft.quality.max_non_word_share
    if threshold is None:
        return passed(name, applied=False)
    minimum = draft.quality.min_words
    source = draft.source_text
    source_words: frozenset[str] | None = None  # read only when a turn has non-words
    earlier: set[str] = set()  # the non-word tokens of earlier turns
    problems: list[tuple[_Prose | None, str]] = []
    turns = [t for t in _prose(draft) if not t.unspaced]
    total_words, total_weight = 0, 0.0
    for turn in turns:
        stats = tq.word_stats(turn.text)
        non_words = [w for w in stats.non_words if w not in earlier]
        if non_words and source:
            if source_words is None:
                source_words = frozenset(tq.words(source))
            non_words = [w for w in non_words if w not in source_words]
        earlier.update(stats.non_words)
        machine = [w for w in non_words if not tq.is_code(w)]
        weight = len(machine) + (len(non_words) - len(machine)) / 2
        total_words += stats.words
        total_weight += weight
        share = weight / stats.words if stats.words else 0.0
        if stats.words >= minimum and share > threshold:
            examples = ", ".join(repr(w[:40]) for w in (machine or non_words)[:3])
            problems.append((turn, f"{turn.name}: {len(non_words)} of its "
                             f"{stats.words} words are non-word tokens ({examples}; "
                             f"{len(non_words) - len(machine)} short codes, half a token "
                             f"each), {share:.0%} above {threshold:.0%} (max_non_word_share)"))
        elif stats.words < minimum and (2 * len(non_words) > stats.words or (
                2 * len(non_words) == stats.words and machine)):
            examples = ", ".join(repr(w[:40]) for w in non_words[:3])
            problems.append((turn, f"{turn.name}: {len(non_words)} of its "
                             f"{stats.words} words are non-word tokens ({examples}), too "
                             "many for a short turn"))
    share = total_weight / total_words if total_words else 0.0
    if not problems and total_words >= minimum and share > threshold:
        problems.append((None, f"the record's prose as a whole: {share:.0%} of its words "
                         f"are non-word tokens, above {threshold:.0%} (max_non_word_share)"))
    return _outcome(draft, name, problems, measured_turns=len(turns))


@register_check("code_in_prose")
def code_in_prose(draft: Draft) -> CheckResult:
    """Code or JSON in a turn whose role the request does not ask for it
    (`CheckInput.code_roles`): at most ``max_code_lines`` such lines."""
    name = "code_in_prose"
    allowed = draft.quality.max_code_lines
    if allowed is None:
        return passed(name, applied=False)
    roles = draft.code_roles
    problems: list[tuple[_Prose | None, str]] = []
    for i, part in enumerate(draft.dialogue):
        if part.role in roles:
            continue
        lines = tq.code_lines(part.content)
        if len(lines) > allowed:
            turn = _Prose(i, part.role, part.content, False, False)
            problems.append((turn, f"{turn.name} has {len(lines)} line(s) of code or JSON "
                             f"(e.g. {lines[0].strip()[:60]!r}), above {allowed} "
                             "(max_code_lines): the request asks for prose there"))
    return _outcome(draft, name, problems, code_roles=sorted(roles))


@register_check("stop_words")
def stop_words_present(draft: Draft) -> CheckResult:
    """Stop words of the turn's language (its own if identified, and the record's): at
    least ``min_stop_words`` in a turn of ``min_words`` words or more and in the record's
    prose as a whole, one in a turn of `tq.SHORT_TURN_WORDS` words or more. Turns in a
    language without a list, or without spaces between words, are not checked."""
    name = "stop_words"
    wanted = draft.quality.min_stop_words
    if wanted is None or wanted == 0:
        return passed(name, applied=False)
    minimum = draft.quality.min_words
    turns = _prose(draft)
    record_language = _record_language(draft, turns)
    record_list = None if is_unspaced(record_language) or record_language is None \
        else stop_words(record_language)
    problems: list[tuple[_Prose | None, str]] = []
    checked = 0
    for turn in turns:
        if turn.unspaced:
            continue
        language = _language(turn.text)
        lists = [x for x in (record_list, stop_words(language) if language else None) if x]
        if not lists:
            continue
        alpha = tq.word_stats(turn.text).alpha_words
        need = wanted if alpha >= minimum else min(wanted, 1) \
            if alpha >= tq.SHORT_TURN_WORDS else 0
        if not need:
            continue
        checked += 1
        found = tq.stop_word_count(turn.text, frozenset().union(*lists))
        if found < need:
            languages = "/".join(sorted({x for x in (record_language, language) if x}))
            problems.append((turn, f"{turn.name}: {found} stop word(s) of {languages} in "
                             f"{alpha} words, below {need} (min_stop_words): not "
                             "sentences of the language"))
    spaced = [t.text for t in turns if not t.unspaced]
    if record_list and not problems and \
            sum(tq.word_stats(t).alpha_words for t in spaced) >= minimum:
        checked += 1
        found = sum(tq.stop_word_count(t, record_list) for t in spaced)
        if found < wanted:
            problems.append((None, f"the record's prose as a whole: {found} stop word(s) "
                             f"of {record_language}, below {wanted} (min_stop_words)"))
    if not checked:
        return passed(name, applied=False, language=record_language)
    return _outcome(draft, name, problems, language=record_language)


@register_check("compression_ratio")
def compression_ratio(draft: Draft) -> CheckResult:
    """Whisper's compression ratio (over characters, per window of 1,000; text_quality.py)
    of each turn: at most ``max_compression_ratio``. Catches repetition the loop check's
    sentences and 5-grams miss: runs of characters, near-identical lines, lists of one
    pattern. Quotations are left out, as from the loop check: a trace quoting facts of one
    form repeats its sources by design."""
    name = "compression_ratio"
    threshold = draft.quality.max_compression_ratio
    if threshold is None:
        return passed(name, applied=False)
    problems: list[tuple[_Prose | None, str]] = []
    highest = 0.0
    for turn in _prose(draft):
        ratio, start = tq.max_compression_ratio(_QUOTED.sub(" ", turn.text))
        highest = max(highest, ratio)
        if ratio > threshold:
            problems.append((turn, f"{turn.name} compresses {ratio:.2f}:1 (from "
                             f"{start[:40]!r}), above {threshold:g} "
                             "(max_compression_ratio): it repeats itself"))
    return _outcome(draft, name, problems, highest=round(highest, 3))


@register_check("line_punctuation")
def line_punctuation(draft: Draft) -> CheckResult:
    """FineWeb's line-punctuation ratio (DataTrove's ``FineWebQualityFilter``, Penedo et
    al. 2024: at least 12% of a document's lines end in terminal punctuation), over the
    record's prose lines as a whole from ``min_words`` words: prose ends its sentences,
    lists of names and strings of keywords do not. Code lines and Markdown table rows are
    not prose lines (a table the scenario asks for would outweigh the sentences around it)."""
    name = "line_punctuation"
    threshold = draft.quality.min_line_punctuation_share
    if threshold is None:
        return passed(name, applied=False)
    turns = _prose(draft)
    lines = [line for turn in turns for line in tq.prose_lines(turn.text)]
    if not lines or sum(tq.word_count(t.text) for t in turns) < draft.quality.min_words:
        return passed(name, applied=False)
    ended = sum(map(tq.ends_a_sentence, lines))
    share = ended / len(lines)
    problems: list[tuple[_Prose | None, str]] = [] if share >= threshold else [(None, (
        f"{ended} of the record's {len(lines)} prose lines end in terminal punctuation "
        f"({share:.0%}), below {threshold:.0%} (min_line_punctuation_share): not sentences"))]
    return _outcome(draft, name, problems, share=round(share, 3))


@register_check("repeated_turn")
def repeated_turn(draft: Draft) -> CheckResult:
    """A user or assistant turn mostly the same as the previous turn of its role (both of
    ``min_words`` words or more): at most ``max_repeat_similarity`` alike."""
    name = "repeated_turn"
    threshold = draft.quality.max_repeat_similarity
    if threshold is None:
        return passed(name, applied=False)
    minimum = draft.quality.min_words
    last: dict[str, _Prose] = {}
    problems: list[tuple[_Prose | None, str]] = []
    for turn in _prose(draft):
        if turn.role not in ("user", "assistant"):
            continue
        before = last.get(turn.role)
        last[turn.role] = turn
        if before is None or min(tq.word_count(turn.text), tq.word_count(before.text)) < minimum:
            continue
        alike = tq.similarity(turn.text, before.text)
        if alike > threshold:
            problems.append((turn, f"{turn.name} is {alike:.0%} the same as turn "
                             f"{before.index + 1}, the previous {turn.role} turn, above "
                             f"{threshold:.0%} (max_repeat_similarity)"))
    return _outcome(draft, name, problems)
