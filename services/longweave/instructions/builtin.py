"""The built-in instruction types: IFEval's 25 (same ids, same parameter names, checkers
written to IFEval's definitions) and the ones this project adds for long contexts.

Where a checker departs from IFEval's, it says so: IFEval detects languages with
``langdetect`` and splits sentences with its own rules; these use the validator's
language identifier and a punctuation splitter, so borderline texts may be judged
differently. The record keeps IFEval's id and parameters, so IFEval's checkers can always
re-run the verification."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from longweave.contracts.messages import Language
from longweave.instructions.base import DrawContext, InstructionType, NoParams
from longweave.language import detect_language, same_language
from longweave.llm.tokens import estimate_tokens

Relation = Literal["less than", "at least"]
RELATIONS: tuple[Relation, ...] = ("less than", "at least")
# Every language the validator's identifier answers (the contract's `Language`).
LANGUAGE_NAMES: dict[str, str] = {
    "af": "Afrikaans", "am": "Amharic", "ar": "Arabic", "as": "Assamese", "az": "Azerbaijani",
    "be": "Belarusian", "bg": "Bulgarian", "bn": "Bengali", "br": "Breton", "bs": "Bosnian",
    "ca": "Catalan", "cs": "Czech", "cy": "Welsh", "da": "Danish", "de": "German",
    "el": "Greek", "en": "English", "eo": "Esperanto", "es": "Spanish", "et": "Estonian",
    "eu": "Basque", "fa": "Persian", "fi": "Finnish", "fr": "French", "fy": "Western Frisian",
    "ga": "Irish", "gd": "Scottish Gaelic", "gl": "Galician", "gu": "Gujarati", "ha": "Hausa",
    "he": "Hebrew", "hi": "Hindi", "hr": "Croatian", "ht": "Haitian Creole",
    "hu": "Hungarian", "hy": "Armenian", "id": "Indonesian", "ig": "Igbo", "is": "Icelandic",
    "it": "Italian", "ja": "Japanese", "jv": "Javanese", "ka": "Georgian", "kk": "Kazakh",
    "km": "Khmer", "kn": "Kannada", "ko": "Korean", "ku": "Kurdish", "ky": "Kyrgyz",
    "la": "Latin", "lg": "Ganda", "ln": "Lingala", "lo": "Lao", "lt": "Lithuanian",
    "lv": "Latvian", "mg": "Malagasy", "mk": "Macedonian", "ml": "Malayalam",
    "mn": "Mongolian", "mr": "Marathi", "ms": "Malay", "my": "Burmese", "ne": "Nepali",
    "nl": "Dutch", "no": "Norwegian", "om": "Oromo", "or": "Odia", "pa": "Punjabi",
    "pl": "Polish", "ps": "Pashto", "pt": "Portuguese", "qu": "Quechua", "ro": "Romanian",
    "ru": "Russian", "sa": "Sanskrit", "si": "Sinhala", "sk": "Slovak", "sl": "Slovenian",
    "so": "Somali", "sq": "Albanian", "sr": "Serbian", "sv": "Swedish", "sw": "Swahili",
    "ta": "Tamil", "te": "Telugu", "th": "Thai", "tl": "Tagalog", "tr": "Turkish",
    "ug": "Uyghur", "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek", "vi": "Vietnamese",
    "xh": "Xhosa", "yo": "Yoruba", "zh": "Chinese", "zu": "Zulu", "ace": "Acehnese",
    "bcl": "Central Bikol", "dz": "Dzongkha", "ext": "Extremaduran",
    "gcf": "Guadeloupean Creole", "gom": "Goan Konkani", "grc": "Ancient Greek",
    "gug": "Paraguayan Guarani", "hbo": "Ancient Hebrew", "kik": "Kikuyu",
    "nso": "Northern Sotho", "pcm": "Nigerian Pidgin", "rw": "Kinyarwanda",
    "se": "Northern Sami", "sn": "Shona", "st": "Southern Sotho", "an": "Aragonese",
    "ary": "Moroccan Arabic", "crh": "Crimean Tatar", "fo": "Faroese",
    "fuv": "Nigerian Fulfulde", "gcr": "Guianese Creole", "guw": "Gun", "kab": "Kabyle",
    "lb": "Luxembourgish", "lij": "Ligurian", "ltg": "Latgalian", "uzs": "Southern Uzbek",
    "wa": "Walloon", "sdh": "Southern Kurdish", "arz": "Egyptian Arabic", "ba": "Bashkir",
    "mt": "Maltese", "nn": "Norwegian Nynorsk", "oc": "Occitan", "tg": "Tajik",
    "tk": "Turkmen", "tt": "Tatar", "vec": "Venetian", "vo": "Volapük", "wuu": "Wu Chinese",
    "yue": "Cantonese",
}
# The languages a drawn response_language instruction asks for: IFEval's thirty.
DRAWN_LANGUAGES = ("en", "es", "pt", "ar", "hi", "fr", "ru", "de", "ja", "it", "bn", "uk",
                   "th", "ur", "ta", "te", "bg", "ko", "pl", "he", "fa", "vi", "ne", "sw",
                   "kn", "mr", "gu", "pa", "ml", "fi")
FALLBACK_WORDS = ("budget", "schedule", "customer", "report", "deadline", "policy",
                  "contract", "meeting", "invoice", "support", "travel", "quality")
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=\S)")


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def count_sentences(text: str) -> int:
    return len([s for s in _SENTENCE_END.split(text.strip()) if words(s)])


def holds(actual: int, relation: Relation, target: int) -> bool:
    return actual < target if relation == "less than" else actual >= target


def _relation_text(relation: Relation, n: int, unit: str) -> str:
    return f"fewer than {n} {unit}" if relation == "less than" else f"at least {n} {unit}"


def _topic_words(ctx: DrawContext, rng: random.Random, k: int) -> list[str]:
    pool = sorted({w.lower() for w in ctx.topic_words if w.isalpha() and len(w) > 3})
    pool = pool if len(pool) >= k else sorted(set(pool) | set(FALLBACK_WORDS))
    return rng.sample(pool, k)


# -- keywords ---------------------------------------------------------------------------


class KeywordsParams(_Params):
    keywords: list[str] = Field(min_length=1, max_length=5)


class KeywordsExistence(InstructionType[KeywordsParams]):
    name = "keywords:existence"
    ifeval_id = "keywords:existence"
    params_model = KeywordsParams

    def draw(self, rng: random.Random, ctx: DrawContext) -> KeywordsParams:
        return KeywordsParams(keywords=_topic_words(ctx, rng, rng.randint(1, 3)))

    def describe(self, params: KeywordsParams) -> str:
        return f"Include the keywords {', '.join(params.keywords)} in the response."

    def check(self, response: str, params: KeywordsParams) -> str | None:
        missing = [k for k in params.keywords
                   if not re.search(re.escape(k), response, flags=re.IGNORECASE)]
        return f"lacks the keywords {missing}" if missing else None


class ForbiddenParams(_Params):
    forbidden_words: list[str] = Field(min_length=1, max_length=5)


class ForbiddenWords(InstructionType[ForbiddenParams]):
    name = "keywords:forbidden_words"
    ifeval_id = "keywords:forbidden_words"
    params_model = ForbiddenParams

    def draw(self, rng: random.Random, ctx: DrawContext) -> ForbiddenParams:
        return ForbiddenParams(forbidden_words=_topic_words(ctx, rng, rng.randint(1, 3)))

    def describe(self, params: ForbiddenParams) -> str:
        return f"Do not include the words {', '.join(params.forbidden_words)} in the response."

    def check(self, response: str, params: ForbiddenParams) -> str | None:
        used = [w for w in params.forbidden_words
                if re.search(r"\b" + re.escape(w) + r"\b", response, flags=re.IGNORECASE)]
        return f"uses the forbidden words {used}" if used else None


class FrequencyParams(_Params):
    keyword: str = Field(min_length=1)
    frequency: int = Field(ge=1, le=20)
    relation: Relation


class KeywordFrequency(InstructionType[FrequencyParams]):
    name = "keywords:frequency"
    ifeval_id = "keywords:frequency"
    params_model = FrequencyParams

    def draw(self, rng: random.Random, ctx: DrawContext) -> FrequencyParams:
        return FrequencyParams(keyword=_topic_words(ctx, rng, 1)[0],
                               frequency=rng.randint(1, 4), relation=rng.choice(RELATIONS))

    def describe(self, params: FrequencyParams) -> str:
        times = _relation_text(params.relation, params.frequency, "times")
        return f"The word {params.keyword} should appear {times} in the response."

    def check(self, response: str, params: FrequencyParams) -> str | None:
        actual = len(re.findall(re.escape(params.keyword), response, flags=re.IGNORECASE))
        if holds(actual, params.relation, params.frequency):
            return None
        return (f"{params.keyword!r} appears {actual} times, wanted "
                f"{_relation_text(params.relation, params.frequency, 'times')}")


class LetterFrequencyParams(_Params):
    letter: str = Field(min_length=1, max_length=1, pattern=r"^[a-z]$")
    let_frequency: int = Field(ge=1, le=100)
    let_relation: Relation


class LetterFrequency(InstructionType[LetterFrequencyParams]):
    name = "keywords:letter_frequency"
    ifeval_id = "keywords:letter_frequency"
    params_model = LetterFrequencyParams

    def draw(self, rng: random.Random, ctx: DrawContext) -> LetterFrequencyParams:
        return LetterFrequencyParams(letter=rng.choice("bcdfghklmpqrwxyz"),
                                     let_frequency=rng.randint(2, 12),
                                     let_relation=rng.choice(RELATIONS))

    def describe(self, params: LetterFrequencyParams) -> str:
        times = _relation_text(params.let_relation, params.let_frequency, "times")
        return f"In your response, the letter {params.letter} should appear {times}."

    def check(self, response: str, params: LetterFrequencyParams) -> str | None:
        actual = Counter(response.lower())[params.letter]
        if holds(actual, params.let_relation, params.let_frequency):
            return None
        return f"the letter {params.letter!r} appears {actual} times"


# -- language -----------------------------------------------------------------------------


class LanguageParams(_Params):
    language: Language


class ResponseLanguage(InstructionType[LanguageParams]):
    name = "language:response_language"
    ifeval_id = "language:response_language"
    params_model = LanguageParams
    conflicts = frozenset({"change_case:english_lowercase", "change_case:english_capital",
                           "change_case:capital_word_frequency", "keywords:existence",
                           "keywords:frequency", "startend:end_checker",
                           "combination:repeat_prompt", "detectable_format:constrained_response",
                           "longweave:choose_from"})

    def draw(self, rng: random.Random, ctx: DrawContext) -> LanguageParams:
        others = [code for code in DRAWN_LANGUAGES if not same_language(code, ctx.language)]
        return LanguageParams.model_validate({"language": rng.choice(others)})

    def describe(self, params: LanguageParams) -> str:
        name = LANGUAGE_NAMES[params.language]
        return f"Your entire response should be in {name}, no other language is allowed."

    def check(self, response: str, params: LanguageParams) -> str | None:
        detected = detect_language(response, params.language)
        if same_language(params.language, detected):
            return None
        return f"not in {LANGUAGE_NAMES[params.language]} (detected: {detected or 'unclear'})"


# -- length -------------------------------------------------------------------------------


class NumberWordsParams(_Params):
    num_words: int = Field(ge=1, le=5000)
    relation: Relation


class NumberWords(InstructionType[NumberWordsParams]):
    name = "length_constraints:number_words"
    ifeval_id = "length_constraints:number_words"
    params_model = NumberWordsParams

    def draw(self, rng: random.Random, ctx: DrawContext) -> NumberWordsParams:
        relation = rng.choice(RELATIONS)
        n = rng.choice((150, 200, 300)) if relation == "less than" else rng.choice((50, 80, 120))
        return NumberWordsParams(num_words=n, relation=relation)

    def describe(self, params: NumberWordsParams) -> str:
        return f"Answer with {_relation_text(params.relation, params.num_words, 'words')}."

    def check(self, response: str, params: NumberWordsParams) -> str | None:
        n = len(words(response))
        return None if holds(n, params.relation, params.num_words) else f"{n} words"


class NumberSentencesParams(_Params):
    num_sentences: int = Field(ge=1, le=200)
    relation: Relation


class NumberSentences(InstructionType[NumberSentencesParams]):
    name = "length_constraints:number_sentences"
    ifeval_id = "length_constraints:number_sentences"
    params_model = NumberSentencesParams

    def draw(self, rng: random.Random, ctx: DrawContext) -> NumberSentencesParams:
        relation = rng.choice(RELATIONS)
        return NumberSentencesParams(
            num_sentences=rng.randint(6, 12) if relation == "less than" else rng.randint(2, 5),
            relation=relation)

    def describe(self, params: NumberSentencesParams) -> str:
        return ("Your response should contain "
                f"{_relation_text(params.relation, params.num_sentences, 'sentences')}.")

    def check(self, response: str, params: NumberSentencesParams) -> str | None:
        n = count_sentences(response)
        return None if holds(n, params.relation, params.num_sentences) else f"{n} sentences"


class NumberParagraphsParams(_Params):
    num_paragraphs: int = Field(ge=1, le=20)


class NumberParagraphs(InstructionType[NumberParagraphsParams]):
    """Paragraphs separated by the markdown divider ***, as IFEval counts them."""

    name = "length_constraints:number_paragraphs"
    ifeval_id = "length_constraints:number_paragraphs"
    params_model = NumberParagraphsParams
    conflicts = frozenset({"length_constraints:nth_paragraph_first_word",
                           "combination:two_responses", "detectable_format:multiple_sections"})

    def draw(self, rng: random.Random, ctx: DrawContext) -> NumberParagraphsParams:
        return NumberParagraphsParams(num_paragraphs=rng.randint(2, 5))

    def describe(self, params: NumberParagraphsParams) -> str:
        return (f"There should be {params.num_paragraphs} paragraphs. Paragraphs are "
                "separated with the markdown divider: ***")

    def check(self, response: str, params: NumberParagraphsParams) -> str | None:
        parts = re.split(r"\s?\*\*\*\s?", response)
        n = len(parts)
        for i, part in enumerate(parts):
            if not part.strip():
                if i in (0, len(parts) - 1):
                    n -= 1
                else:
                    return f"paragraph {i + 1} between dividers is empty"
        return None if n == params.num_paragraphs else f"{n} paragraphs separated by ***"


class NthParagraphParams(_Params):
    num_paragraphs: int = Field(ge=1, le=20)
    nth_paragraph: int = Field(ge=1, le=20)
    first_word: str = Field(pattern=r"^[A-Za-z]+$")


class NthParagraphFirstWord(InstructionType[NthParagraphParams]):
    """Paragraphs separated by a blank line (two newlines), as IFEval counts them."""

    name = "length_constraints:nth_paragraph_first_word"
    ifeval_id = "length_constraints:nth_paragraph_first_word"
    params_model = NthParagraphParams
    conflicts = frozenset({"length_constraints:number_paragraphs", "combination:two_responses",
                           "detectable_format:json_format", "startend:quotation",
                           "combination:repeat_prompt", "detectable_format:constrained_response",
                           "longweave:choose_from"})

    def draw(self, rng: random.Random, ctx: DrawContext) -> NthParagraphParams:
        n = rng.randint(2, 5)
        return NthParagraphParams(num_paragraphs=n, nth_paragraph=rng.randint(1, n),
                                  first_word=_topic_words(ctx, rng, 1)[0])

    def describe(self, params: NthParagraphParams) -> str:
        return (f"There should be {params.num_paragraphs} paragraphs, separated from each other "
                f"by two new lines. Paragraph {params.nth_paragraph} must start with the word "
                f"{params.first_word}.")

    def check(self, response: str, params: NthParagraphParams) -> str | None:
        parts = re.split(r"\n\n", response)
        n = sum(1 for p in parts if p.strip())
        if params.nth_paragraph > n or not parts[params.nth_paragraph - 1].strip():
            return f"there is no paragraph {params.nth_paragraph} ({n} paragraphs)"
        word = parts[params.nth_paragraph - 1].strip().split()[0].strip().lstrip("'\"")
        first = ""
        for letter in word:
            if letter in ".,?!'\"":
                break
            first += letter.lower()
        if n != params.num_paragraphs:
            return f"{n} paragraphs separated by blank lines"
        if first != params.first_word.lower():
            return f"paragraph {params.nth_paragraph} starts with {first!r}"
        return None


# -- detectable content -------------------------------------------------------------------


class PlaceholdersParams(_Params):
    num_placeholders: int = Field(ge=1, le=20)


class Placeholders(InstructionType[PlaceholdersParams]):
    name = "detectable_content:number_placeholders"
    ifeval_id = "detectable_content:number_placeholders"
    params_model = PlaceholdersParams

    def draw(self, rng: random.Random, ctx: DrawContext) -> PlaceholdersParams:
        return PlaceholdersParams(num_placeholders=rng.randint(1, 4))

    def describe(self, params: PlaceholdersParams) -> str:
        return (f"The response must contain at least {params.num_placeholders} placeholders "
                "represented by square brackets, such as [address].")

    def check(self, response: str, params: PlaceholdersParams) -> str | None:
        n = len(re.findall(r"\[.*?\]", response))
        return None if n >= params.num_placeholders else f"{n} [placeholders]"


class PostscriptParams(_Params):
    postscript_marker: Literal["P.S.", "P.P.S"]


class Postscript(InstructionType[PostscriptParams]):
    name = "detectable_content:postscript"
    ifeval_id = "detectable_content:postscript"
    params_model = PostscriptParams
    conflicts = frozenset({"startend:end_checker", "startend:quotation",
                           "detectable_format:json_format", "combination:two_responses"})

    def draw(self, rng: random.Random, ctx: DrawContext) -> PostscriptParams:
        return PostscriptParams(postscript_marker=rng.choice(("P.S.", "P.P.S")))

    def describe(self, params: PostscriptParams) -> str:
        return ("At the end of your response, please explicitly add a postscript starting "
                f"with {params.postscript_marker}")

    def check(self, response: str, params: PostscriptParams) -> str | None:
        marker = params.postscript_marker
        pattern = (r"\s*p\.\s?p\.\s?s.*$" if marker == "P.P.S" else r"\s*p\.\s?s\..*$")
        found = re.findall(pattern, response.lower(), flags=re.MULTILINE)
        return None if found else f"no postscript starting with {marker}"


# -- detectable format --------------------------------------------------------------------


class BulletsParams(_Params):
    num_bullets: int = Field(ge=1, le=20)


class BulletLists(InstructionType[BulletsParams]):
    name = "detectable_format:number_bullet_lists"
    ifeval_id = "detectable_format:number_bullet_lists"
    params_model = BulletsParams
    conflicts = frozenset({"detectable_format:json_format", "longweave:table_rows",
                           "detectable_format:number_highlighted_sections"})

    def draw(self, rng: random.Random, ctx: DrawContext) -> BulletsParams:
        return BulletsParams(num_bullets=rng.randint(2, 5))

    def describe(self, params: BulletsParams) -> str:
        return (f"Your answer must contain exactly {params.num_bullets} bullet points. Use "
                "the markdown bullet points such as:\n* This is point 1.\n* This is point 2")

    def check(self, response: str, params: BulletsParams) -> str | None:
        n = len(re.findall(r"^\s*\*[^\*].*$", response, flags=re.MULTILINE)) + \
            len(re.findall(r"^\s*-.*$", response, flags=re.MULTILINE))
        return None if n == params.num_bullets else f"{n} bullet points"


class Title(InstructionType[NoParams]):
    name = "detectable_format:title"
    ifeval_id = "detectable_format:title"
    params_model = NoParams
    conflicts = frozenset({"detectable_format:json_format", "startend:quotation",
                           "combination:repeat_prompt", "detectable_format:constrained_response",
                           "longweave:choose_from"})

    def describe(self, params: NoParams) -> str:
        return ("Your answer must contain a title, wrapped in double angular brackets, such "
                "as <<poem of joy>>.")

    def check(self, response: str, params: NoParams) -> str | None:
        titles = re.findall(r"<<[^\n]+>>", response)
        if any(t.lstrip("<").rstrip(">").strip() for t in titles):
            return None
        return "no title in <<double angular brackets>>"


class SectionsParams(_Params):
    section_spliter: Literal["Section", "SECTION", "Part", "PART"]
    num_sections: int = Field(ge=1, le=10)


class MultipleSections(InstructionType[SectionsParams]):
    name = "detectable_format:multiple_sections"
    ifeval_id = "detectable_format:multiple_sections"
    params_model = SectionsParams
    conflicts = frozenset({"length_constraints:number_paragraphs",
                           "detectable_format:json_format", "combination:two_responses"})

    def draw(self, rng: random.Random, ctx: DrawContext) -> SectionsParams:
        return SectionsParams(section_spliter=rng.choice(("Section", "SECTION", "Part", "PART")),
                              num_sections=rng.randint(2, 4))

    def describe(self, params: SectionsParams) -> str:
        s = params.section_spliter
        return (f"Your response must have {params.num_sections} sections. Mark the beginning of "
                f"each section with {s} X, such as:\n{s} 1\n[content of section 1]\n{s} 2\n"
                "[content of section 2]")

    def check(self, response: str, params: SectionsParams) -> str | None:
        parts = re.split(r"\s?" + re.escape(params.section_spliter) + r"\s?\d+\s?", response)
        n = len(parts) - 1
        if n >= params.num_sections:
            return None
        return f"{n} sections marked {params.section_spliter} X"


class JsonFormat(InstructionType[NoParams]):
    name = "detectable_format:json_format"
    ifeval_id = "detectable_format:json_format"
    params_model = NoParams
    conflicts = frozenset({"detectable_format:number_bullet_lists", "detectable_format:title",
                           "detectable_format:multiple_sections",
                           "detectable_format:number_highlighted_sections",
                           "length_constraints:number_paragraphs",
                           "length_constraints:nth_paragraph_first_word",
                           "length_constraints:number_sentences",
                           "detectable_content:postscript", "combination:two_responses",
                           "combination:repeat_prompt", "startend:quotation",
                           "startend:end_checker", "detectable_format:constrained_response",
                           "longweave:table_rows", "longweave:choose_from",
                           "change_case:english_capital", "punctuation:no_comma"})

    def describe(self, params: NoParams) -> str:
        return ("Entire output should be wrapped in JSON format. You can use markdown ticks "
                "such as ```.")

    def check(self, response: str, params: NoParams) -> str | None:
        value = response.strip()
        for prefix in ("```json", "```Json", "```JSON", "```"):
            value = value.removeprefix(prefix)
        value = value.removesuffix("```").strip()
        try:
            json.loads(value)
        except ValueError as exc:
            return f"not JSON: {exc}"
        return None


class HighlightsParams(_Params):
    num_highlights: int = Field(ge=1, le=20)


class HighlightedSections(InstructionType[HighlightsParams]):
    name = "detectable_format:number_highlighted_sections"
    ifeval_id = "detectable_format:number_highlighted_sections"
    params_model = HighlightsParams
    conflicts = frozenset({"detectable_format:json_format",
                           "detectable_format:number_bullet_lists"})

    def draw(self, rng: random.Random, ctx: DrawContext) -> HighlightsParams:
        return HighlightsParams(num_highlights=rng.randint(1, 4))

    def describe(self, params: HighlightsParams) -> str:
        return (f"Highlight at least {params.num_highlights} sections in your answer with "
                "markdown, i.e. *highlighted section*.")

    def check(self, response: str, params: HighlightsParams) -> str | None:
        single = re.findall(r"\*[^\n\*]*\*", response)
        double = re.findall(r"\*\*[^\n\*]*\*\*", response)
        n = sum(1 for h in single if h.strip("*").strip()) + \
            sum(1 for h in double if h.removeprefix("**").removesuffix("**").strip())
        return None if n >= params.num_highlights else f"{n} *highlighted* sections"


CONSTRAINED_OPTIONS = ("My answer is yes.", "My answer is no.", "My answer is maybe.")
_WHOLE_ANSWER = frozenset({"detectable_format:json_format", "detectable_format:title",
                           "detectable_format:multiple_sections", "combination:two_responses",
                           "length_constraints:number_words", "length_constraints:number_sentences",
                           "length_constraints:number_paragraphs",
                           "length_constraints:nth_paragraph_first_word",
                           "detectable_format:number_bullet_lists", "longweave:table_rows",
                           "detectable_content:number_placeholders", "keywords:existence",
                           "keywords:frequency", "language:response_language",
                           "startend:quotation", "startend:end_checker",
                           "combination:repeat_prompt", "detectable_content:postscript",
                           "longweave:cite_section"})


class ConstrainedResponse(InstructionType[NoParams]):
    name = "detectable_format:constrained_response"
    ifeval_id = "detectable_format:constrained_response"
    params_model = NoParams
    conflicts = _WHOLE_ANSWER | {"longweave:choose_from"}

    def describe(self, params: NoParams) -> str:
        return ("Answer with one of the following options: (\"My answer is yes.\", "
                "\"My answer is no.\", \"My answer is maybe.\")")

    def check(self, response: str, params: NoParams) -> str | None:
        value = response.strip()
        return None if any(o in value for o in CONSTRAINED_OPTIONS) else \
            "none of the allowed answers"


# -- combination --------------------------------------------------------------------------


class RepeatPromptParams(_Params):
    prompt_to_repeat: str = Field(min_length=1, max_length=4000)


class RepeatPrompt(InstructionType[RepeatPromptParams]):
    name = "combination:repeat_prompt"
    ifeval_id = "combination:repeat_prompt"
    params_model = RepeatPromptParams
    conflicts = frozenset({"detectable_format:json_format", "detectable_format:title",
                           "startend:quotation", "change_case:english_lowercase",
                           "change_case:english_capital", "language:response_language",
                           "length_constraints:nth_paragraph_first_word",
                           "combination:two_responses", "keywords:forbidden_words",
                           "punctuation:no_comma", "detectable_format:constrained_response",
                           "longweave:choose_from", "longweave:token_budget",
                           "length_constraints:number_words",
                           "length_constraints:number_sentences",
                           "keywords:letter_frequency", "change_case:capital_word_frequency"})

    def applies(self, ctx: DrawContext) -> bool:
        return bool(ctx.prompt.strip()) and len(ctx.prompt) <= 4000

    def draw(self, rng: random.Random, ctx: DrawContext) -> RepeatPromptParams:
        return RepeatPromptParams(prompt_to_repeat=ctx.prompt.strip())

    def describe(self, params: RepeatPromptParams) -> str:
        return ("First repeat the request word for word without change, then give your answer "
                "(1. do not say any words or characters before repeating the request; 2. the "
                "request you need to repeat does not include this sentence)")

    def check(self, response: str, params: RepeatPromptParams) -> str | None:
        if response.strip().lower().startswith(params.prompt_to_repeat.strip().lower()):
            return None
        return "does not start by repeating the request"


class TwoResponses(InstructionType[NoParams]):
    name = "combination:two_responses"
    ifeval_id = "combination:two_responses"
    params_model = NoParams
    conflicts = _WHOLE_ANSWER - {"combination:two_responses"} | {
        "detectable_format:constrained_response", "longweave:choose_from",
        "detectable_format:number_highlighted_sections"}

    def describe(self, params: NoParams) -> str:
        return ("Give two different responses. Responses and only responses should be "
                "separated by 6 asterisk symbols: ******.")

    def check(self, response: str, params: NoParams) -> str | None:
        parts = response.split("******")
        valid = []
        for i, part in enumerate(parts):
            if not part.strip():
                if i not in (0, len(parts) - 1):
                    return f"response {i + 1} between the separators is empty"
            else:
                valid.append(part)
        if len(valid) != 2:
            return f"{len(valid)} responses separated by ******"
        return None if valid[0].strip() != valid[1].strip() else "the two responses are the same"


# -- start and end ------------------------------------------------------------------------


class Quotation(InstructionType[NoParams]):
    name = "startend:quotation"
    ifeval_id = "startend:quotation"
    params_model = NoParams
    conflicts = frozenset({"detectable_format:json_format", "detectable_format:title",
                           "combination:repeat_prompt", "detectable_content:postscript",
                           "startend:end_checker", "combination:two_responses",
                           "detectable_format:constrained_response", "longweave:choose_from",
                           "length_constraints:nth_paragraph_first_word"})

    def describe(self, params: NoParams) -> str:
        return "Wrap your entire response with double quotation marks."

    def check(self, response: str, params: NoParams) -> str | None:
        value = response.strip()
        return None if len(value) > 1 and value[0] == '"' and value[-1] == '"' else \
            "not wrapped in double quotation marks"


END_PHRASES = ("Is there anything else I can help with?", "Let me know if you have additional "
               "questions.", "Any other questions?", "That is all for now.")


class EndPhraseParams(_Params):
    end_phrase: str = Field(min_length=1, max_length=200)


class EndChecker(InstructionType[EndPhraseParams]):
    name = "startend:end_checker"
    ifeval_id = "startend:end_checker"
    params_model = EndPhraseParams
    conflicts = frozenset({"detectable_content:postscript", "startend:quotation",
                           "detectable_format:json_format", "combination:two_responses",
                           "detectable_format:constrained_response", "longweave:choose_from",
                           "change_case:english_lowercase", "change_case:english_capital",
                           "language:response_language"})

    def draw(self, rng: random.Random, ctx: DrawContext) -> EndPhraseParams:
        return EndPhraseParams(end_phrase=rng.choice(END_PHRASES))

    def describe(self, params: EndPhraseParams) -> str:
        return (f"Finish your response with this exact phrase {params.end_phrase} No other "
                "words should follow this phrase.")

    def check(self, response: str, params: EndPhraseParams) -> str | None:
        value = response.strip().strip('"').lower()
        return None if value.endswith(params.end_phrase.strip().lower()) else \
            f"does not end with {params.end_phrase!r}"


# -- change case --------------------------------------------------------------------------


class Lowercase(InstructionType[NoParams]):
    name = "change_case:english_lowercase"
    ifeval_id = "change_case:english_lowercase"
    params_model = NoParams
    conflicts = frozenset({"change_case:english_capital", "change_case:capital_word_frequency",
                           "language:response_language", "combination:repeat_prompt",
                           "startend:end_checker", "detectable_format:constrained_response",
                           "detectable_content:postscript", "longweave:choose_from",
                           "longweave:cite_section", "keywords:letter_frequency"})

    def describe(self, params: NoParams) -> str:
        return ("Your entire response should be in English, and in all lowercase letters. No "
                "capital letters are allowed.")

    def check(self, response: str, params: NoParams) -> str | None:
        if not response.islower():
            return "has capital letters"
        return None if detect_language(response) in ("en", None) else "not in English"


class Capital(InstructionType[NoParams]):
    name = "change_case:english_capital"
    ifeval_id = "change_case:english_capital"
    params_model = NoParams
    conflicts = frozenset({"change_case:english_lowercase", "change_case:capital_word_frequency",
                           "language:response_language", "combination:repeat_prompt",
                           "startend:end_checker", "detectable_format:constrained_response",
                           "detectable_content:postscript", "detectable_format:json_format",
                           "longweave:choose_from", "longweave:cite_section",
                           "keywords:letter_frequency"})

    def describe(self, params: NoParams) -> str:
        return "Your entire response should be in English, and in all capital letters."

    def check(self, response: str, params: NoParams) -> str | None:
        if not response.isupper():
            return "has lowercase letters"
        return None if detect_language(response.lower()) in ("en", None) else "not in English"


class CapitalFrequencyParams(_Params):
    capital_frequency: int = Field(ge=1, le=100)
    capital_relation: Relation


class CapitalWordFrequency(InstructionType[CapitalFrequencyParams]):
    name = "change_case:capital_word_frequency"
    ifeval_id = "change_case:capital_word_frequency"
    params_model = CapitalFrequencyParams
    conflicts = frozenset({"change_case:english_lowercase", "change_case:english_capital",
                           "language:response_language", "combination:repeat_prompt"})

    def draw(self, rng: random.Random, ctx: DrawContext) -> CapitalFrequencyParams:
        return CapitalFrequencyParams(capital_frequency=rng.randint(2, 6),
                                      capital_relation=rng.choice(RELATIONS))

    def describe(self, params: CapitalFrequencyParams) -> str:
        times = _relation_text(params.capital_relation, params.capital_frequency, "times")
        return f"In your response, words with all capital letters should appear {times}."

    def check(self, response: str, params: CapitalFrequencyParams) -> str | None:
        # IFEval tokenizes with nltk; word characters give the same all-capital words.
        n = sum(1 for w in words(response) if w.isupper())
        if holds(n, params.capital_relation, params.capital_frequency):
            return None
        return f"{n} words in all capital letters"


# -- punctuation --------------------------------------------------------------------------


class NoComma(InstructionType[NoParams]):
    name = "punctuation:no_comma"
    ifeval_id = "punctuation:no_comma"
    params_model = NoParams
    conflicts = frozenset({"detectable_format:json_format", "combination:repeat_prompt"})

    def describe(self, params: NoParams) -> str:
        return "In your entire response, refrain from the use of any commas."

    def check(self, response: str, params: NoParams) -> str | None:
        return "uses commas" if "," in response else None


# -- this project's, for long contexts ----------------------------------------------------


class ChooseFromParams(_Params):
    options: list[str] = Field(min_length=2, max_length=6)


class ChooseFrom(InstructionType[ChooseFromParams]):
    """Multiple choice: the whole answer is one of the given options (IFEval's constrained
    response, with the options a prompt chooses)."""

    name = "longweave:choose_from"
    params_model = ChooseFromParams
    conflicts = _WHOLE_ANSWER | {"detectable_format:constrained_response",
                                 "change_case:english_lowercase", "change_case:english_capital",
                                 "keywords:forbidden_words", "punctuation:no_comma",
                                 "keywords:letter_frequency", "change_case:capital_word_frequency",
                                 "detectable_format:number_highlighted_sections",
                                 "longweave:token_budget"}

    def draw(self, rng: random.Random, ctx: DrawContext) -> ChooseFromParams:
        return ChooseFromParams(options=rng.choice((
            ["(A)", "(B)", "(C)", "(D)"], ["Agree", "Disagree", "Not sure"],
            ["Yes, fully", "Partly", "Not at all"])))

    def describe(self, params: ChooseFromParams) -> str:
        listed = ", ".join(f'"{o}"' for o in params.options)
        return f"Answer with exactly one of these options and nothing else: {listed}."

    def check(self, response: str, params: ChooseFromParams) -> str | None:
        value = response.strip().strip('"').rstrip(".").strip().lower()
        if value in {o.lower().rstrip(".") for o in params.options}:
            return None
        return "the answer is not exactly one of the options"


class CiteSectionParams(_Params):
    section: str = Field(min_length=1, max_length=200)


class CiteSection(InstructionType[CiteSectionParams]):
    """Long documents: the answer names the section of the document it rests on."""

    name = "longweave:cite_section"
    params_model = CiteSectionParams
    conflicts = frozenset({"detectable_format:constrained_response", "longweave:choose_from",
                           "detectable_format:json_format", "change_case:english_lowercase",
                           "change_case:english_capital", "keywords:forbidden_words"})

    def applies(self, ctx: DrawContext) -> bool:
        return bool(ctx.sections)

    def draw(self, rng: random.Random, ctx: DrawContext) -> CiteSectionParams:
        return CiteSectionParams(section=rng.choice(ctx.sections))

    def describe(self, params: CiteSectionParams) -> str:
        return f"Cite the section \"{params.section}\" by its title where your answer uses it."

    def check(self, response: str, params: CiteSectionParams) -> str | None:
        cited = " ".join(params.section.lower().split()) in " ".join(response.lower().split())
        return None if cited else f"does not cite the section {params.section!r}"


class TableRowsParams(_Params):
    num_rows: int = Field(ge=1, le=50)


class TableRows(InstructionType[TableRowsParams]):
    """A markdown table (header, separator) with exactly num_rows rows below its header."""

    name = "longweave:table_rows"
    params_model = TableRowsParams
    conflicts = frozenset({"detectable_format:json_format", "detectable_format:number_bullet_lists",
                           "detectable_format:constrained_response", "longweave:choose_from",
                           "combination:two_responses", "punctuation:no_comma"})

    def draw(self, rng: random.Random, ctx: DrawContext) -> TableRowsParams:
        return TableRowsParams(num_rows=rng.randint(2, 6))

    def describe(self, params: TableRowsParams) -> str:
        return (f"Include a markdown table with a header row and exactly {params.num_rows} "
                "rows below it.")

    def check(self, response: str, params: TableRowsParams) -> str | None:
        lines = [line.strip() for line in response.splitlines()]
        for i, line in enumerate(lines[:-1]):
            if line.startswith("|") and re.fullmatch(r"\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?",
                                                     lines[i + 1]):
                rows = 0
                for row in lines[i + 2:]:
                    if not row.startswith("|"):
                        break
                    rows += 1
                return None if rows == params.num_rows else f"the table has {rows} rows"
        return "no markdown table (a header row, then a |---| separator)"


class TokenBudgetParams(_Params):
    max_tokens: int = Field(ge=10, le=100_000)


class TokenBudget(InstructionType[TokenBudgetParams]):
    """Stay under a token budget (estimated at ~4 characters per token, as everywhere in
    this project when no tokenizer is at hand)."""

    name = "longweave:token_budget"
    params_model = TokenBudgetParams
    conflicts = frozenset({"combination:repeat_prompt", "longweave:choose_from"})

    def draw(self, rng: random.Random, ctx: DrawContext) -> TokenBudgetParams:
        return TokenBudgetParams(max_tokens=rng.choice((150, 250, 400)))

    def describe(self, params: TokenBudgetParams) -> str:
        return f"Keep your answer under {params.max_tokens} tokens (about " \
               f"{params.max_tokens * 3 // 4} words)."

    def check(self, response: str, params: TokenBudgetParams) -> str | None:
        n = estimate_tokens(response)
        return None if n < params.max_tokens else f"~{n} tokens"


PERSONA_NAMES = ("Mara Okafor", "Ilse Varga", "Tomas Reyes", "Aiko Brandt", "Nadia Kovac",
                 "Samir Haddad", "Lena Moreau", "Ravi Menon")
PERSONA_ADDRESSES = ("Counsellor", "Traveller", "Colleague", "Neighbour", "Captain", "Reader")
# A sign-off is the reply's last words: a dash (any of - – — or --), then the name.
_SIGN_OFF_DASH = r"(?:--|[-–—])"


class PersonaParams(_Params):
    persona: str = Field(min_length=2, max_length=60)
    address: str = Field(min_length=2, max_length=40)


class Persona(InstructionType[PersonaParams]):
    """Multi-turn: a persona's constraint on every reply of a conversation (checked on each
    assistant turn): address the user by a title, and sign off with the persona's name."""

    name = "longweave:persona"
    params_model = PersonaParams
    conflicts = frozenset({"startend:end_checker", "detectable_content:postscript",
                           "startend:quotation", "detectable_format:json_format",
                           "detectable_format:constrained_response", "longweave:choose_from",
                           "change_case:english_lowercase", "change_case:english_capital",
                           "combination:two_responses", "keywords:forbidden_words"})

    def draw(self, rng: random.Random, ctx: DrawContext) -> PersonaParams:
        return PersonaParams(persona=rng.choice(PERSONA_NAMES),
                             address=rng.choice(PERSONA_ADDRESSES))

    def describe(self, params: PersonaParams) -> str:
        return (f"Reply as {params.persona} in every turn of this conversation: address me "
                f"as \"{params.address}\" and end each reply with \"— {params.persona}\".")

    def check(self, response: str, params: PersonaParams) -> str | None:
        text = response.strip()
        if not re.search(rf"(?i)(?<!\w){re.escape(params.address)}(?!\w)", text):
            return f"does not address the user as {params.address!r}"
        sign_off = rf"{_SIGN_OFF_DASH}\s*{re.escape(params.persona)}[.!]?$"
        if not re.search(sign_off, text):
            return f"does not end with the sign-off '— {params.persona}'"
        return None


BUILTIN: tuple[InstructionType[BaseModel], ...] = (  # type: ignore[assignment]
    KeywordsExistence(), ForbiddenWords(), KeywordFrequency(), LetterFrequency(),
    ResponseLanguage(), NumberWords(), NumberSentences(), NumberParagraphs(),
    NthParagraphFirstWord(), Placeholders(), Postscript(), BulletLists(), Title(),
    MultipleSections(), JsonFormat(), HighlightedSections(), ConstrainedResponse(),
    RepeatPrompt(), TwoResponses(), Quotation(), EndChecker(), Lowercase(), Capital(),
    CapitalWordFrequency(), NoComma(), ChooseFrom(), CiteSection(), TableRows(), TokenBudget(),
    Persona(),
)
