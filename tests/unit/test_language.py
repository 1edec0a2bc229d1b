"""The language identifier (py3langid) and the stop words (stopwords-iso): every language of
the scenario catalog is identified, an unclear text is None, varieties count as their
macrolanguage, and stop-word lists are usable for counting (or absent, never wrong)."""

import pytest

from longweave.catalog import load_catalog
from longweave.contracts.messages import Language
from longweave.language import (
    detect_language,
    identifier_languages,
    language_of_locale,
    language_probabilities,
    normalise_word,
    same_language,
    stop_words,
)
from support.prose import ANSWERS, CATALOG_EXCHANGES, EXCHANGES

PROSE = {**{code: answer for code, (_, answer) in {**EXCHANGES, **CATALOG_EXCHANGES}.items()},
         **ANSWERS}
# Prose the identifier splits between languages written alike (`WRITTEN_ALIKE`).
SPLIT = {"hr", "ms"}


@pytest.mark.parametrize("code", sorted(PROSE))
def test_prose_is_identified_in_its_language(code):
    assert detect_language(PROSE[code], code) == code
    if code not in SPLIT:
        assert detect_language(PROSE[code]) == code


def test_every_catalog_language_has_prose_to_test_with():
    languages = {language_of_locale(s["geography"]["locale"]) for s in load_catalog()}
    assert languages - set(PROSE) == set()


def test_languages_written_alike_are_read_as_the_expected_one_only_when_it_leads():
    croatian, malay = PROSE["hr"], PROSE["ms"]
    assert dict(language_probabilities(croatian))["hr"] < 0.9  # split with bs
    assert detect_language(croatian, "hr") == "hr" and detect_language(malay, "ms") == "ms"
    # Not when another of the group leads, nor for a language outside the group.
    assert detect_language(croatian, "sr") is None and detect_language(croatian, "sl") is None
    assert detect_language(PROSE["id"], "ms") == "id"


@pytest.mark.parametrize("text", [
    "too short", "Yes, please go ahead.", "Bobby_1234567890101021567890", "12 345 678",
    "[a-z_]+[b-z][a-z_]+[c-k][a-z_]+[d]v[s][i]w", "", "…",
])
def test_an_unclear_text_is_none_rather_than_a_guess(text):
    assert detect_language(text) is None


def test_the_contract_offers_the_identifiers_languages():
    assert set(Language.__args__) == set(identifier_languages())
    assert "zxx" not in identifier_languages()  # the model's "no language"


def test_every_catalog_language_is_one_the_identifier_answers():
    locales = {s["geography"]["locale"] for s in load_catalog()}
    assert {locale: language_of_locale(locale) for locale in locales
            if language_of_locale(locale) is None} == {}
    assert language_of_locale("nb-NO") == "no" and language_of_locale("fil-PH") == "tl"
    assert language_of_locale("xx-YY") is None and language_of_locale(None) is None


def test_a_variety_counts_as_its_macrolanguage():
    assert same_language("ar", "arz") and same_language("zh", "yue")
    assert not same_language("en", "fr") and not same_language("en", None)
    probabilities = dict(language_probabilities(PROSE["ar"]))
    assert "ary" not in probabilities and probabilities["ar"] > 0.99  # ar + ary + arz


def test_stop_words_are_words_of_letters_compared_without_case_or_accents():
    english = stop_words("en")
    assert english is not None and {"the", "and", "with", "that"} <= english
    assert not {w for w in english if len(w) < 2 or not w.replace("'", "").isalpha()}
    assert normalise_word("Für") == "fur" and normalise_word("ΚΑΙ") == "και"
    assert normalise_word("Ότι") in stop_words("el")  # listed without accents
    assert stop_words("arz") == stop_words("ar")


@pytest.mark.parametrize(("code", "words"), [
    ("bn", {"আমি", "আমার"}), ("hi", {"किसी", "रहा"}), ("gu", {"છે"}), ("mr", {"आहे"}),
])
def test_words_with_vowel_signs_stay_in_the_list(code, words):
    # Indic vowel signs are combining marks, not letters: a list kept only letters.
    assert {normalise_word(w) for w in words} <= stop_words(code)


def test_catalog_languages_without_a_usable_list_have_none():
    catalog = {language_of_locale(s["geography"]["locale"]) for s in load_catalog()}
    without = {code for code in catalog if stop_words(code) is None}
    # Not in stopwords-iso: Amharic, Icelandic, Georgian, Kinyarwanda, Sinhala, Tamil;
    # written without spaces: Japanese, Thai, Chinese; Korean words carry their particles.
    assert without == {"am", "is", "ka", "rw", "si", "ta", "ja", "th", "zh", "ko"}
