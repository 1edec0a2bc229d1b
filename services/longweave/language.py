"""Which language a text is written in, and that language's stop words.

Identification is py3langid's (BSD-3-Clause; the langid.py model, Lui & Baldwin 2012,
retrained on 140 languages): a naive Bayes over byte n-grams whose normalised probability
says how sure it is. `detect_language` answers None rather than guess when no language
reaches `MIN_PROBABILITY`: short or mixed texts, and text that is no language at all.
Varieties the model tells apart from their macrolanguage (Egyptian and Moroccan Arabic,
Nynorsk, Wu and Cantonese Chinese, ...) count towards it (`same_language`, `MACROLANGUAGE`).
Languages written alike (Croatian, Bosnian and Serbian; Malay and Indonesian) split its
confidence on ordinary prose: checked against the language it should be in, a text is in
it when the group is sure and ranks it first (`WRITTEN_ALIKE`).

Stop words are stopwords-iso's (MIT; `stopwordsiso`), cleaned for counting: entries that
are one word of letters (and combining marks: Indic vowel signs) of two characters or more
(the lists hold every single letter, digits and punctuation), compared case-folded and
without diacritics (the Greek list is written without accents, most Arabic text without
short vowels). Languages written without spaces between words (`UNSPACED`), and Korean,
whose words carry their particles so a list of particles never matches one, have no stop
words here: a check that counts words skips them.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import cache, lru_cache
from typing import Any

import stopwordsiso  # type: ignore[import-untyped,unused-ignore]

MIN_PROBABILITY = 0.9
# Labels of the model that are not a language: "zxx" is its "no linguistic content".
NOT_A_LANGUAGE = frozenset({"zxx"})
# A variety → the macrolanguage it is written as (and whose stop words it uses).
MACROLANGUAGE: dict[str, str] = {
    "ary": "ar", "arz": "ar", "nn": "no", "uzs": "uz", "wuu": "zh", "yue": "zh", "sdh": "ku",
}
# Languages written so alike that the identifier splits its confidence between them on
# ordinary prose (measured: Croatian, hr 0.88 and bs 0.12; Malaysian Malay, ms 0.87 and
# id 0.13): `detect_language` with an expected language reads them as a group.
WRITTEN_ALIKE = (frozenset({"hr", "bs", "sr"}), frozenset({"ms", "id"}))
# Languages written without spaces between words: word counts mean nothing in them.
UNSPACED = frozenset({"zh", "ja", "th", "lo", "km", "my", "dz", "wuu", "yue"})
# A letter of a script written without spaces between words (Thai, Lao, Tibetan, Myanmar,
# Khmer, kana, CJK ideographs), as a regex (the blocks' punctuation and symbols left out).
UNSPACED_LETTERS = (
    "(?:(?=[^\\W\\d_])[\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff])")
# A word, or in scripts written without spaces a letter (as sacrebleu's "zh" tokenizer
# splits Chinese): what counting and comparing words reads in any script.
_TOKEN = re.compile(rf"{UNSPACED_LETTERS}|(?:(?!{UNSPACED_LETTERS})\w)+")


def tokens(text: str) -> list[str]:
    """The text's words, lower-cased; a letter is a word in scripts without spaces."""
    return _TOKEN.findall(text.lower())
# Languages with a list whose entries cannot match a written word (see above).
NO_STOP_WORDS = frozenset({"ko"})

_identifier: Any = None
_lock = threading.Lock()


def _model() -> Any:
    """py3langid's identifier with normalised probabilities, loaded once (about a second)."""
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import (  # type: ignore[import-untyped,unused-ignore]
                MODEL_FILE,
                LanguageIdentifier,
            )

            _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return _identifier


def identifier_languages() -> list[str]:
    """Every language the identifier can answer (ISO 639-1 where there is one, else 639-3)."""
    return [code for code in _model().labels if code not in NOT_A_LANGUAGE]


def macrolanguage(code: str) -> str:
    return MACROLANGUAGE.get(code, code)


def same_language(expected: str, detected: str | None) -> bool:
    return detected is not None and macrolanguage(expected) == macrolanguage(detected)


def language_probabilities(text: str) -> list[tuple[str, float]]:
    """(language, normalised probability), best first; varieties summed into their
    macrolanguage's entry, which keeps the name of the variety most likely."""
    ranked = _model().rank(text)
    total: dict[str, float] = {}
    name: dict[str, str] = {}
    for code, probability in ranked:
        if code in NOT_A_LANGUAGE:
            continue
        macro = macrolanguage(code)
        total[macro] = total.get(macro, 0.0) + float(probability)
        name.setdefault(macro, code)
    return sorted(((name[m], p) for m, p in total.items()), key=lambda kv: kv[1],
                  reverse=True)


def detect_language(text: str, expected: str | None = None) -> str | None:
    """The language `text` is written in, or None when none reaches `MIN_PROBABILITY`.
    Given the language it should be in, it answers that one also when the identifier is
    sure only of a group of languages written alike (`WRITTEN_ALIKE`) and ranks the
    expected one first in the group: Croatian at hr 0.88, bs 0.12 is Croatian, a Serbian
    text is still Serbian."""
    if not any(ch.isalpha() for ch in text):
        return None
    ranked = language_probabilities(text)
    if not ranked:
        return None
    code, probability = ranked[0]
    if probability >= MIN_PROBABILITY:
        return code
    group = next((g for g in WRITTEN_ALIKE if expected in g), None)
    if group is not None and code == expected and \
            sum(p for c, p in ranked if c in group) >= MIN_PROBABILITY:
        return expected
    return None


@lru_cache(maxsize=65536)
def normalise_word(word: str) -> str:
    """A word as stop words are compared: case-folded, without diacritics (the vowel signs
    of Indic scripts are not diacritics: without them है and ह would be one word)."""
    decomposed = unicodedata.normalize("NFD", word.casefold().replace("’", "'"))
    bare = "".join(ch for ch in decomposed
                   if unicodedata.category(ch) != "Mn" or _INDIC_FIRST <= ch <= _INDIC_LAST)
    return unicodedata.normalize("NFC", bare)


# Devanagari to Sinhala: the Indic scripts, whose combining marks are vowel signs.
_INDIC_FIRST, _INDIC_LAST = "\u0900", "\u0dff"


@cache
def stop_words(code: str) -> frozenset[str] | None:
    """The language's stop words (normalised), or None when it has no usable list."""
    code = macrolanguage(code)
    if code in UNSPACED or code in NO_STOP_WORDS or not stopwordsiso.has_lang(code):
        return None
    words = set()
    for entry in stopwordsiso.stopwords(code):
        word = normalise_word(entry)
        # Letters and combining marks (the vowel signs of Indic scripts are marks).
        if len(word) >= 2 and all(unicodedata.category(ch)[0] in "LM" or ch == "'"
                                  for ch in word):
            words.add(word)
    return frozenset(words) or None


def is_unspaced(code: str | None) -> bool:
    return code is not None and macrolanguage(code) in UNSPACED


# A locale's language subtag that the identifier names otherwise.
_LOCALE_LANGUAGE = {"nb": "no", "fil": "tl", "iw": "he", "in": "id"}


def language_of_locale(locale: str | None) -> str | None:
    """The identifier's code for a locale's language ("fr-CA" → "fr", "nb-NO" → "no"), or
    None when it has none."""
    if not locale:
        return None
    code = locale.replace("_", "-").split("-")[0].lower()
    code = _LOCALE_LANGUAGE.get(code, code)
    return code if code in identifier_languages() else None
