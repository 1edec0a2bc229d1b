"""The text-quality checks: the measures (validator/text_quality.py) as pure functions, and
the registered checks (validator/checks.py) run on drafts as the validator builds them.
Output of the toy model that a judge accepted is rejected, naming the turn, the measured
value against the threshold and the unit to regenerate; genuine prose in many languages,
with figures, tables, lists, code where the scenario asks for it, and passages of novels
passes; thresholds layer request > settings > defaults, and null turns a check off."""

from __future__ import annotations

import dataclasses
import re
import zlib
from pathlib import Path

import pytest

import longweave.validator.checks  # noqa: F401 - registers the checks every paradigm shares
from longweave.checks import CheckInput, run_checks
from longweave.contracts import ScenarioRequest, Turn
from longweave.contracts.messages import QualityThresholds
from longweave.contracts.records import Sample
from longweave.llm.tokens import estimate_tokens
from longweave.sampler.logic import sample_spec
from longweave.settings import Settings
from longweave.validator import text_quality as tq
from longweave.validator.checks import loop_detection
from support.drafts import conversation_draft
from support.prose import (
    ANSWERS,
    BOOK_EXCERPTS,
    CATALOG_EXCHANGES,
    CODE_EXCHANGE,
    EXCHANGES,
    FIGURES_EXCHANGE,
    LIST_EXCHANGE,
    SCHEDULE_EXCHANGE,
    SHORT_TURNS,
    TABLE_EXCHANGE,
)
from support.samples import CREATED

TEXT_CHECKS = {"alpha_words", "word_length", "symbol_ratio", "non_word_tokens",
               "code_in_prose", "stop_words", "compression_ratio", "repeated_turn",
               "line_punctuation"}
ENGLISH = EXCHANGES["en"]
BOOKS = Path("/work/shared/books")


def record(*texts: str, scenario: dict | None = None, **spec) -> CheckInput:
    """A conversation of `texts` (user, assistant, user, ...), one exchange per segment,
    with a token window it fits."""
    turns = [Turn(role="user" if i % 2 == 0 else "assistant", content=t)
             for i, t in enumerate(texts)]
    tokens = sum(estimate_tokens(t) for t in texts)
    params = {"segments": len(texts) // 2, "turns_per_segment": 1,
              "target_tokens": max(50, tokens), "length_tolerance": 0.5}
    return conversation_draft(turns=turns, spec={**params, **spec},
                              finish_reasons=["stop"] * (len(texts) // 2),
                              scenario=scenario or {})


def failures(draft: CheckInput) -> dict:
    return {r.name: r for r in run_checks("conversation", draft) if not r.passed}


def results(draft: CheckInput) -> dict:
    return {r.name: r for r in run_checks("conversation", draft)}


# -- the toy model's output a judge accepted ----------------------------------------------

# (role, text, the check that must reject it, what its reason must say)
GARBAGE = [
    ("user", "[a-z_]+[b-z][a-z_]+[c-k][a-z_]+[d]v[s][i]w", "non_word_tokens",
     "1 of its 1 words are non-word tokens"),
    ("user", "Bobby_1234567890101021567890", "non_word_tokens",
     "1 of its 1 words are non-word tokens ('Bobby_1234567890101021567890')"),
    ("assistant", "Maliabellabelle32178234, 20-Nov-2019, 35:35:AM (Sinwex) 19-Mar-2024, …",
     "non_word_tokens", "4 of its 5 words are non-word tokens"),
    ("assistant", "MOSCOKIA CORPORATION (MUSC-LONDON), AMANDA BULLESKIERS LIMITED, "
     "KAMALASYNADUM …", "stop_words", "0 stop word(s) of en in 7 words, below 1"),
    ("user", "... },  // added a newline to avoid the need for a separate record for each item",
     "code_in_prose", "1 line(s) of code or JSON"),
    # A turn of the demo's (session 8) that the first version of these checks let through.
    ("user", "<NAME>, 2018-09-21T23:19:56.65Z, 7:34Mb; ESMX", "non_word_tokens",
     "2 of its 4 words are non-word tokens"),
    # Variants outside the samples: the regex without its underscores, a query
    # string beside a word.
    ("user", "[a-z]+[b-z][a-z]+[c-k][a-z]+[d]v[s][i]w", "non_word_tokens",
     "1 of its 1 words are non-word tokens"),
    ("assistant", "usr_id=4471&ts=1699999999 ok", "non_word_tokens",
     "1 of its 2 words are non-word tokens"),
]
GARBAGE_IDS = [text[:20] for _, text, _, _ in GARBAGE]


def with_garbage(role: str, text: str) -> tuple[str, ...]:
    """A good first exchange, then the garbage turn in `role` with a good counterpart."""
    question, answer = FIGURES_EXCHANGE
    second = (text, answer) if role == "user" else (question, text)
    return (*ENGLISH, *second)


@pytest.mark.parametrize(("role", "text", "check", "says"), GARBAGE, ids=GARBAGE_IDS)
def test_the_toy_models_accepted_garbage_is_rejected_naming_the_turn_and_unit(
        role, text, check, says):
    failed = failures(record(*with_garbage(role, text)))
    assert check in failed, failed
    result = failed[check]
    turn = 3 if role == "user" else 4
    assert f"turn {turn} ({role})" in result.reason and says in result.reason
    assert result.segment_indexes == [1]  # the unit that wrote it, for a targeted redo
    assert set(failed) <= TEXT_CHECKS | {"token_window"}


@pytest.mark.parametrize(("role", "text", "check", "says"), GARBAGE, ids=GARBAGE_IDS)
def test_the_garbage_is_rejected_in_a_record_of_its_own(role, text, check, says):
    # Nothing but the garbage and a greeting: the scenario's locale says which stop words.
    turns = (text, "Sure.") if role == "user" else ("Hello?", text)
    failed = failures(record(*turns, scenario={"geography": {"locale": "en-GB"}}))
    assert check in failed and says in failed[check].reason


def test_the_garbage_at_length_is_rejected_too():
    listing = ", ".join(f"{name} LIMITED" for name in (
        "MOSCOKIA", "AMANDA BULLESKIERS", "KAMALASYNADUM", "MUSC-LONDON", "SINWEX HOLDINGS",
        "MALIABELLA", "BULLESKIERS CORPORATION", "KAMALA SYNADUM", "MOSCO TRADING")) * 3
    failed = failures(record(*ENGLISH, "Who are the suppliers?", listing))
    assert {"stop_words", "compression_ratio"} <= set(failed)
    stamps = " ".join(f"Maliabellabelle{32178234 + i}, {i + 1}-Nov-2019, 35:{i:02d}:AM"
                      for i in range(12))
    failed = failures(record(*ENGLISH, "When were they sent?", stamps))
    assert "non_word_tokens" in failed
    assert re.search(r"\d+% above 20% \(max_non_word_share\)", failed["non_word_tokens"].reason)


# -- genuine prose passes ------------------------------------------------------------------


@pytest.mark.parametrize("language", sorted({**EXCHANGES, **CATALOG_EXCHANGES}))
def test_prose_in_many_languages_and_scripts_passes_every_check(language):
    draft = record(*{**EXCHANGES, **CATALOG_EXCHANGES}[language], language=language)
    assert draft.spec.language == language  # so the language check applies too
    assert failures(draft) == {}


@pytest.mark.parametrize("language", sorted(ANSWERS))
def test_an_answer_in_another_language_than_the_question_passes(language):
    question = ("Could you check the March statement from our flour supplier and tell me "
                "what we can do about the second debit?")
    assert failures(record(question, ANSWERS[language])) == {}


@pytest.mark.parametrize("language", ["ja", "zh", "th"])
def test_text_without_spaces_between_words_skips_the_word_statistics(language):
    text = EXCHANGES[language][1] if language in EXCHANGES else ANSWERS[language]
    assert tq.is_unspaced_text(text)
    checked = results(record(EXCHANGES["en"][0], text))
    assert all(checked[name].passed for name in TEXT_CHECKS)
    # Its only words would be a few long runs of characters: not measured as words.
    assert tq.word_stats(text).mean_word_length > 10
    assert checked["word_length"].details["measured_turns"] == 1  # the English question


def test_a_language_without_a_stop_word_list_is_not_checked_for_stop_words():
    # Tamil has no list in stopwords-iso: the check does not apply rather than fail.
    question = ("வணக்கம், லியோனில் ஒரு சிறிய பேக்கரி நடத்துகிறேன். மாவு விநியோகஸ்தர் மார்ச் "
                "மாதம் இரண்டு முறை பணம் எடுத்தார் என்று நினைக்கிறேன். என்ன செய்யலாம் என்று "
                "சொல்ல முடியுமா?")
    checked = results(record(question, ANSWERS["ta"], language="ta"))
    assert all(r.passed for r in checked.values())
    assert checked["stop_words"].passed
    assert checked["stop_words"].details == {"applied": False, "language": "ta"}
    assert checked["word_length"].passed and checked["alpha_words"].passed


def test_figures_a_table_a_list_and_headings_pass():
    draft = record(*TABLE_EXCHANGE, *FIGURES_EXCHANGE, *LIST_EXCHANGE)
    assert failures(draft) == {}
    assert failures(record(*ENGLISH, *SCHEDULE_EXCHANGE)) == {}
    # The heading's "##" is formatting: no hash symbol is counted.
    assert tq.word_stats(LIST_EXCHANGE[1]).hashes == 0


@pytest.mark.parametrize("turn", SHORT_TURNS)
def test_short_turns_of_a_real_conversation_pass(turn):
    assert failures(record(turn, ENGLISH[1], *FIGURES_EXCHANGE)) == {}


@pytest.mark.parametrize("book", sorted(BOOK_EXCERPTS))
def test_passages_of_novels_pass(book):
    question = "Could you read me the passage we talked about, the one I liked so much?"
    assert failures(record(question, BOOK_EXCERPTS[book])) == {}


@pytest.mark.skipif(not BOOKS.is_dir(), reason="no books in /work/shared/books")
def test_every_paragraph_of_the_shared_books_is_within_the_thresholds():
    q = QualityThresholds()
    checked = 0
    for path in sorted(BOOKS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        start, end = text.find("*** START"), text.find("*** END")
        body = text[start:end].split("\n", 1)[1] if start >= 0 and end > start else text
        for paragraph in re.split(r"\n\s*\n", body):
            stats = tq.word_stats(paragraph)
            if stats.words < q.min_words:
                continue
            checked += 1
            where = f"{path.name}: {paragraph[:60]!r}"
            assert stats.alpha_share >= q.min_alpha_word_share, where
            assert q.min_mean_word_length <= stats.mean_word_length <= q.max_mean_word_length
            assert stats.per_word(stats.hashes) <= q.max_symbol_word_ratio, where
            assert stats.per_word(stats.ellipses) <= q.max_symbol_word_ratio, where
            machine = [w for w in stats.non_words if not tq.is_code(w)]
            assert len(machine) / stats.words <= q.max_non_word_share, where
            assert not tq.code_lines(paragraph), where
            assert tq.max_compression_ratio(paragraph)[0] <= q.max_compression_ratio, where
    assert checked > 1000


# -- code where the request asks for it ---------------------------------------------------


def test_code_passes_where_the_scenario_is_about_software_and_fails_elsewhere():
    software = record(*CODE_EXCHANGE, scenario={"domain": "software",
                                                 "document_type": "support chat"})
    assert software.code_roles == {"user", "assistant"}
    assert failures(software) == {}
    finance = record(*CODE_EXCHANGE, scenario={"domain": "finance"})
    failed = failures(finance)
    assert set(failed) == {"code_in_prose"}
    assert "turn 2 (assistant) has 6 line(s) of code" in failed["code_in_prose"].reason
    assert failed["code_in_prose"].segment_indexes == [0]


def test_json_replies_a_schema_asks_for_are_not_prose():
    schema = {"type": "object", "properties": {"answer": {"type": "string"}},
              "required": ["answer"]}
    reply = '{\n  "answer": "The second debit is refunded within ten working days.",\n' \
            '  "reference": "SEPA-2291"\n}'
    draft = record(ENGLISH[0], reply, assistant_json_schema=schema)
    assert draft.code_roles == {"assistant"}
    assert failures(draft) == {}
    # Without the schema, the same reply is code in a prose turn.
    assert set(failures(record(ENGLISH[0], reply))) == {"code_in_prose"}


def test_an_instruction_or_a_layer_asking_for_json_lets_the_assistant_write_it():
    spec = record(*ENGLISH).spec
    asked = CheckInput(parts=[], spec=spec, params=None, content={
        "instructions": [{"name": "detectable_format:json_format", "params": {}}]})
    assert asked.code_roles == {"assistant"}
    layer = {"operator": "format_constraint", "instruction": "Reply with a JSON object."}
    assert CheckInput(parts=[], spec=spec, params=None, layers=[layer]).code_roles == {
        "assistant"}
    table = {"operator": "format_constraint", "instruction": "Use a Markdown table.",
             "spec": {"check": "format", "value": "markdown_table", "role": "assistant"}}
    assert CheckInput(parts=[], spec=spec, params=None, layers=[table]).code_roles == set()


# -- each check's own failure -------------------------------------------------------------


def test_hashtags_and_ellipses_per_word_are_limited():
    spam = ("Fresh bread every morning at our shop #bakery #lyon #bread #fresh #local "
            "#organic #sourdough come early because the croissants sell out by nine #yum")
    failed = failures(record(*ENGLISH, "Any news from the shop?", spam))
    assert "symbol_ratio" in failed and "8 hash signs for 24 words (0.33 a word), above 0.1" in \
        failed["symbol_ratio"].reason
    hesitant = ("Well... I am not sure... the debit... maybe it was the supplier... or the "
                "bank... I really cannot tell... it happened before... I think... in March")
    assert "symbol_ratio" in failures(record(*ENGLISH, hesitant, FIGURES_EXCHANGE[1]))


def test_mean_word_length_outside_gophers_range_fails_except_for_syllable_languages():
    letters = " ".join("abcdefghijklmnopqrstuvwxyz"[i % 26] for i in range(30))
    failed = failures(record(*ENGLISH, letters, FIGURES_EXCHANGE[1]))
    assert "mean word length 1.0 characters, below 3" in failed["word_length"].reason
    vietnamese = ("Tôi đi chợ mua cá và rau cho bữa ăn tối nay ở nhà với bố mẹ và em gái, "
                  "rồi về nhà nấu cơm và dọn bàn ăn cho cả nhà.")
    assert tq.word_stats(vietnamese).mean_word_length < 3
    assert results(record(vietnamese, ANSWERS["vi"]))["word_length"].passed


def test_a_turn_of_mostly_figures_fails_the_share_of_words_with_letters():
    figures = " ".join(str(1000 + 7 * i) for i in range(24)) + " euros in total."
    failed = failures(record(*ENGLISH, "What did we pay?", figures))
    assert "24 of its 27 words outside tables are numbers: figures, not prose" in \
        failed["alpha_words"].reason
    # Numbers in prose are words: a reasoning trace over figures passes.
    trace = ('First "The key found in locker 12 opens locker 7." Then "The key found in '
             'locker 7 opens locker 31." Last, "Locker 31 holds 40 silver coins." So the last '
             "locker holds 40, and 12 + 28 = 40 checks out.")
    assert tq.word_stats(trace).alpha_words / tq.word_stats(trace).words < 0.8  # Gopher's
    assert results(record("How many coins are in the last locker?", trace))[
        "alpha_words"].passed
    assert "turn 3 (user) has no word" in failures(record(*ENGLISH, "?!", FIGURES_EXCHANGE[1]))[
        "alpha_words"].reason


def test_identifiers_in_a_long_turn_are_limited_by_their_share():
    ids = ("Please check the rows for user_id 4471, acct_93, inv_2291, tx_8812, ref_0042 and "
           "batch_17 in the export before you send the file to the bank tomorrow morning.")
    failed = failures(record(*ENGLISH, ids, FIGURES_EXCHANGE[1]))
    assert "6 of its 26 words are non-word tokens" in failed["non_word_tokens"].reason
    one = "Please check the row for customer ref_0042 in the export before you send it."
    assert results(record(*ENGLISH, one, FIGURES_EXCHANGE[1]))["non_word_tokens"].passed


def test_repetition_the_loop_check_misses_fails_the_compression_ratio():
    rooms = ", ".join(f"room {n} is free" for n in range(101, 161)) + "."
    draft = record(*ENGLISH, "Which rooms are free?", rooms)
    assert loop_detection(draft).passed  # no sentence or 5-word phrase repeats
    failed = failures(draft)
    assert "compression_ratio" in failed
    assert re.search(r"turn 4 \(assistant\) compresses \d\.\d\d:1 .* above 2.4",
                     failed["compression_ratio"].reason)


def test_a_record_whose_lines_end_no_sentence_fails_the_line_punctuation():
    keywords = ("best running shoes flat feet 2024 review cheap\n"
                "running shoes flat feet arch support cushioning brands comparison\n"
                "Asics Brooks Saucony Hoka stores near me opening hours sale\n"
                "return policy size guide wide fit women men trail road")
    failed = failures(record("running shoes flat feet", keywords))
    assert "line_punctuation" in failed
    assert "0 of the record's 5 prose lines end in terminal punctuation" in \
        failed["line_punctuation"].reason
    assert failed["line_punctuation"].segment_indexes == []  # the whole record is redone
    # Two sentences in seven lines are enough (FineWeb's bar is 12%).
    assert "line_punctuation" not in failures(record(*ENGLISH, "running shoes", keywords))
    assert results(record(*ENGLISH))["line_punctuation"].details["share"] == 1.0


def test_terminal_punctuation_is_read_in_every_script_and_behind_closing_quotes():
    for line in ("Done.", "Really?!", "He said “yes.”", "(See the table.)", "終わりました。",
                 "「終わりました。」",
                 "हो गया।", "انتهى؟", "ተጠናቀቀ።", "*Done.*"):
        assert tq.ends_a_sentence(line), line
    for line in ("Bring these:", "Asics Brooks Saucony", "| 1 | 2 |", ""):
        assert not tq.ends_a_sentence(line), line
    # Table rows, code, headings and list items are not sentences.
    assert tq.prose_lines("## Packing\n- socks\n1. a tent\n* a lamp\nOne.\n#hashtag") == [
        "One.", "#hashtag"]
    assert tq.prose_lines("One.\n\n| a | b |\n|---|---|\n```\nx = 1\n```\nTwo") == [
        "One.", "Two"]


def test_a_turn_mostly_the_same_as_the_previous_turn_of_its_role_fails():
    question = ENGLISH[0]
    again = question.replace("small bakery", "little bakery").replace("twice", "two times")
    draft = record(question, ENGLISH[1], again, FIGURES_EXCHANGE[1])
    assert loop_detection(draft).passed  # not verbatim
    failed = failures(draft)
    assert set(failed) == {"repeated_turn"}
    assert "turn 3 (user) is 9" in failed["repeated_turn"].reason
    assert "the same as turn 1" in failed["repeated_turn"].reason
    assert failed["repeated_turn"].segment_indexes == [1]


# -- thresholds ---------------------------------------------------------------------------


def test_thresholds_serialize_the_fields_given_and_layer_over_a_base():
    given = QualityThresholds.model_validate({"min_stop_words": None, "min_words": 10})
    assert given.model_dump() == {"min_stop_words": None, "min_words": 10}
    again = QualityThresholds.model_validate_json(given.model_dump_json())
    assert again.model_fields_set == {"min_stop_words", "min_words"}
    base = QualityThresholds(max_compression_ratio=3.0)
    layered = again.over(base)
    assert (layered.min_stop_words, layered.min_words, layered.max_compression_ratio,
            layered.max_code_lines) == (None, 10, 3.0, 0)


def test_a_requests_thresholds_reach_the_validator_over_the_settings(monkeypatch):
    request = ScenarioRequest(request_id="r1", run_id="run-1", count=1,
                              quality={"min_stop_words": None})
    spec = sample_spec(ScenarioRequest.model_validate_json(request.model_dump_json()))
    # Stored and read back as the sampler stores a sample (None values are dropped there).
    sample = Sample.model_validate(Sample.model_validate({
        "_id": "run-1-000000", "run_id": "run-1", "index": 0, "scenario_id": "s",
        "scenario": {}, "sampled": {}, "combination_id": "c", "spec": spec,
        "created_at": CREATED}).document())
    assert sample.spec.quality.model_dump() == {"min_stop_words": None}

    monkeypatch.setenv("LONGWEAVE_QUALITY__MAX_COMPRESSION_RATIO", "3.5")
    monkeypatch.setenv("LONGWEAVE_QUALITY__MAX_CODE_LINES", "null")
    settings = Settings()
    garbage = record(*with_garbage("assistant", GARBAGE[3][1]))
    draft = CheckInput(parts=garbage.parts, spec=sample.spec, params=garbage.params,
                       quality_settings=settings.quality)
    quality = draft.quality
    assert (quality.min_stop_words, quality.max_compression_ratio, quality.max_code_lines,
            quality.min_alpha_word_share) == (None, 3.5, None, 0.8)
    checked = {r.name: r for r in run_checks("conversation", draft)}
    assert checked["stop_words"].passed and checked["stop_words"].details == {
        "applied": False}
    assert checked["code_in_prose"].details == {"applied": False}
    # Without the request's override the settings' (here: the defaults) reject it.
    assert not run_checks_named(garbage, "stop_words").passed


def test_a_request_can_turn_a_check_back_on_that_the_settings_turned_off():
    settings = QualityThresholds(min_stop_words=None)
    garbage = record(*with_garbage("assistant", GARBAGE[3][1]),
                     quality={"min_stop_words": 2})
    draft = CheckInput(parts=garbage.parts, spec=garbage.spec, params=garbage.params,
                       quality_settings=settings)
    assert not run_checks_named(draft, "stop_words").passed
    off = CheckInput(parts=garbage.parts, spec=record(*with_garbage(
        "assistant", GARBAGE[3][1])).spec, params=garbage.params, quality_settings=settings)
    assert run_checks_named(off, "stop_words").passed


@pytest.mark.parametrize("field", sorted(QualityThresholds.model_fields.keys() - {
    "min_words", "min_mean_word_length", "max_mean_word_length"}))
def test_every_threshold_set_to_null_turns_its_check_off(field):
    check = {"min_alpha_word_share": "alpha_words", "max_symbol_word_ratio": "symbol_ratio",
             "max_non_word_share": "non_word_tokens", "max_code_lines": "code_in_prose",
             "min_stop_words": "stop_words", "max_compression_ratio": "compression_ratio",
             "max_repeat_similarity": "repeated_turn",
             "min_line_punctuation_share": "line_punctuation"}[field]
    draft = record(*ENGLISH, quality={field: None})
    assert run_checks_named(draft, check).details == {"applied": False}


def test_word_length_is_off_only_when_both_bounds_are():
    both = record(*ENGLISH, quality={"min_mean_word_length": None,
                                     "max_mean_word_length": None})
    assert run_checks_named(both, "word_length").details == {"applied": False}
    letters = " ".join("abcdefghijklmnopqrstuvwxyz"[i % 26] for i in range(30))
    one = record(*ENGLISH, letters, FIGURES_EXCHANGE[1], quality={"max_mean_word_length": None})
    assert not run_checks_named(one, "word_length").passed


def run_checks_named(draft: CheckInput, name: str):
    [result] = [r for r in run_checks("conversation", draft) if r.name == name]
    return result


# -- the measures ---------------------------------------------------------------------------


def test_words_are_whitespace_tokens_without_surrounding_punctuation():
    assert tq.words("“Hello,” she said (twice)… — don't e-mail me at 10:30!") == (
        "Hello", "she", "said", "twice", "don't", "e-mail", "me", "at", "10:30")
    assert tq.words("... }, // -- ***") == ()


@pytest.mark.parametrize(("token", "non_word"), [
    ("Bobby_1234567890", True), ("user_id", True), ("Maliabellabelle32178234", True),
    ("20-Nov-2019", True), ("12345678", True), ("7:34Mb", True), ("35:35:AM", True),
    ("2018-09-21T23:19:56.65Z", True), ("a-z]+[b-z", True), ("id=4471&ts=1", True),
    ("BA2490", True), ("INV-0311", True),
    # numbers with their unit, ordinal, decade or time of day; ranges and dates
    ("10am", False), ("10:30pm", False), ("3rd", False), ("1990s", False), ("5kg", False),
    ("64GB", False), ("07:00-13:00", False), ("2024-03-01", False), ("20°C", False),
    ("10-12kg", False), ("3rd-4th", False),
    # letters after digits that are no unit; an operator inside a token
    ("4471ab", True), ("0xFF", True), ("q=shoes&sort=asc", True),
    ("1,240.50", False), ("2024", False), ("14:35", False), ("e-mail", False),
    ("don't", False), ("Λυών", False), ("1234567", True), ("123456", False),
])
def test_non_word_tokens_are_identifiers_mixed_tokens_and_long_digit_runs(token, non_word):
    assert tq.is_non_word(token) is non_word


@pytest.mark.parametrize(("token", "code"), [
    ("BA2490", True), ("SW1A", True), ("INV-0311", True), ("COVID-19", True), ("Q1", True),
    ("Bobby_1234", False), ("7:34Mb", False), ("Maliabellabelle32178234", False),
    ("ABCDEFGH123", False), ("x86", False), ("WORD", False),
])
def test_short_codes_are_capitals_and_digits(token, code):
    assert tq.is_code(token) is code


def test_codes_count_half_so_a_list_of_them_still_fails_a_long_turn():
    codes = " ".join(f"{a}{b}{i}" for i, (a, b) in enumerate(zip("ABCDEFGHIJKLMNOPQ",
                                                                  "QRSTUVWXYZABCDEFG")))
    listing = f"Yes, the open ones are {codes}, all of them at the depot."
    failed = failures(record(*ENGLISH, "Which lockers are open?", listing))
    assert "17 short codes, half a token each" in failed["non_word_tokens"].reason
    flights = ("Flights LH400, LX318, BA2490 and AF1234 all leave from Terminal 2 this "
               "morning, so you can pick whichever suits your meeting best.")
    assert failures(record(*ENGLISH, "Which flights go to Zurich?", flights)) == {}


def test_a_placeholder_is_not_a_word():
    assert tq.words("Hi {first_name}, your {{ order_id }} shipped!") == ("Hi", "your", "shipped")
    assert "non_word_tokens" not in failures(record("Hello?", "Hi {first_name}!"))


def test_a_code_the_record_quotes_from_its_source_or_an_earlier_turn_is_not_counted():
    question = "What is the number of the invoice that was paid twice?"
    draft = record(question, "INV-0311")
    assert "non_word_tokens" in failures(draft)
    from_document = dataclasses.replace(
        draft, content={"context": "... the supplier paid invoice INV-0311 twice in May ..."})
    assert "non_word_tokens" not in failures(from_document)
    garbage = "Bobby_1234567890101021567890"
    failed = failures(record(question, garbage, "Is that the one?", f"Yes, {garbage}."))
    assert failed["non_word_tokens"].reason.startswith("turn 2 (assistant)")
    assert "turn 4" not in failed["non_word_tokens"].reason  # quoted from turn 2


def test_word_stats_follow_gophers_definitions():
    stats = tq.word_stats("The fee is 25 EUR... #promo #deal, paid on 4 March.")
    assert (stats.words, stats.alpha_words, stats.hashes, stats.ellipses) == (11, 9, 2, 1)
    assert stats.mean_word_length == pytest.approx(
        sum(map(len, "The fee is 25 EUR promo deal paid on 4 March".split())) / 11)
    together = tq.word_stats("one two") + tq.word_stats("three 4")
    assert (together.words, together.alpha_words, together.length_sum) == (4, 3, 12)


def test_the_compression_ratio_is_whispers_on_ascii_and_counts_characters_elsewhere():
    text = ENGLISH[1]
    data = text.encode()
    assert tq.compression_ratio(text) == pytest.approx(len(data) / len(zlib.compress(data)),
                                                       rel=0.02)
    greek = EXCHANGES["el"][1]
    in_bytes = len(greek.encode()) / len(zlib.compress(greek.encode()))
    assert tq.compression_ratio(greek) < 1.8 < in_bytes
    assert tq.compression_ratio("ha " * 300) > 10
    long = " ".join([ENGLISH[1], BOOK_EXCERPTS["time_machine"], BOOK_EXCERPTS["jekyll_and_hyde"],
                     BOOK_EXCERPTS["pride_and_prejudice"]])
    ratio, _ = tq.max_compression_ratio(long)
    assert len(long) > tq.COMPRESSION_WINDOW and ratio < 2.4


@pytest.mark.parametrize(("line", "code"), [
    ("... },  // added a newline", True), ('"name": "Ana",', True), ("```python", True),
    ("def total(rows):", True), ("</div>", True), ("x = load(path);", True),
    ("if a == b:", True), ("const limit = 5", True),
    ("See https://example.com/help for details.", False), ("The meeting is at 10:30.", False),
    ("Bring the item(s) you bought; keep the receipt.", False),
    ("| Plan | Monthly fee |", False), ("The area is $\\frac{3}{4}$ of the plot.", False),
    ("Write {first_name} and {{ order_id }} in the greeting.", False),
    ('The invoice has two fields, "Net": 50 EUR and "VAT": 10 EUR.', False),
    ("if (x) { return }", True), ("echo ${PATH}", True), ('{"a": 1, "b": [2]}', True),
    ("<em>I'm proud to be a part of this family", True), ('<a href="/x">here</a>', True),
    ("Keep a < b > c in mind.", False),
    ('He said "yes": that settled it.', False), ("<<A plan for the week>>", False),
])
def test_code_lines_are_recognised_and_prose_is_not(line, code):
    assert bool(tq.code_lines(line)) is code


def test_code_is_removed_from_a_turn_that_may_hold_it():
    answer = CODE_EXCHANGE[1]
    assert len(tq.code_lines(answer)) == 6
    prose = tq.without_code(answer)
    assert "continue" not in prose and "cell.strip" not in prose
    assert "The reader yields an empty list" in prose
    assert tq.is_all_code('{"answer": "yes"}') and tq.is_all_code("```\nx = 1\n```")
    assert not tq.is_all_code(answer)


def test_similarity_compares_words():
    assert tq.similarity("Thanks, that helps!", "thanks that helps") == 1.0
    assert tq.similarity(ENGLISH[0], ENGLISH[1]) < 0.5
