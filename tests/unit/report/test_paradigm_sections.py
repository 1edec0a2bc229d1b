"""Each paradigm's own section of the report (`Paradigm.report_section`), looked up by the
run's paradigm: evidence positions (document_qa), pass rates per instruction type
(instruction), compression (claims), question kinds and fact depth (reasoning), turns and
openings (conversation); a paradigm that does not override the hook has none."""

import statistics

import pytest

from longweave.paradigms import PARADIGMS
from longweave.paradigms.base import Paradigm, ReportSection
from longweave.report.figures import paradigm_section


def pair(position, evidence_positions, starts, task="single_hop", unanswerable=False):
    return {"task_type": task, "position": position, "unanswerable": unanswerable,
            "evidence": [{"quote": "q" * 12, "start": s} for s in starts],
            "evidence_positions": evidence_positions}


def test_document_qa_shows_where_the_evidence_sits_against_where_it_was_planned():
    records = [
        {"context": "x" * 300, "pairs": [pair("beginning", ["beginning"], [10]),
                                         pair("middle", ["end"], [250, None], "multi_hop")]},
        {"context": "x" * 100, "pairs": [pair("end", [], [], "unanswerable", True)]},
    ]
    section = paradigm_section("document_qa", records, [])
    assert section["counts"]["evidence position"] == {"beginning": 1, "middle": 0, "end": 1}
    assert section["counts"]["planned position"] == {"beginning": 1, "middle": 1, "end": 1}
    assert section["counts"]["task type"] == {"single_hop": 1, "multi_hop": 1,
                                              "unanswerable": 1}
    assert section["numbers"] == {"pairs": 3, "evidence quotes": 3,
                                  "quotes located in the context": 2 / 3,
                                  "answerable pairs with evidence where planned": 1 / 2}
    assert section["distributions"]["evidence offset (share of the context)"] == \
        pytest.approx([10 / 300, 250 / 300])


def verdicts(attempt, *followed):
    names = ("length_words", "no_commas")
    return {"attempt": attempt, "validation": {"checks": [
        {"name": "instructions_followed", "passed": all(followed), "details": {
            "verdicts": [{"name": n, "followed": f} for n, f in zip(names, followed, strict=True)]}}]}}


def test_instruction_shows_each_instruction_types_pass_rate_and_first_attempts():
    drafts = [verdicts(1, True, False), verdicts(2, True, True), verdicts(1, True, True),
              {"attempt": 1}]  # not checked yet
    records = [{"instructions": [{"name": "length_words"}, {"name": "no_commas"}]}]
    section = paradigm_section("instruction", records, drafts)
    assert section["numbers"] == {
        "drafts checked": 3, "drafts following every instruction": 2 / 3,
        "first attempts following every instruction": 1 / 2,
        "instructions per accepted record": 2.0,
        "pass rate: length_words": 1.0, "pass rate: no_commas": 2 / 3}
    assert section["counts"]["verdicts followed"] == {"length_words": 3, "no_commas": 2}


def test_claims_shows_compression_per_book_each_book_once():
    def claim(book, outline, chapters, summary, size):
        return {"book": {"id": book, "title": book}, "scope": "book", "strategy": "clipper",
                "compression": {"outline_tokens": outline, "chapter_tokens": chapters,
                                "summary_tokens": summary, "book_tokens": size}}

    records = [claim("b1", 10, 100, 1, 1000), claim("b1", 10, 100, 1, 1000),
               claim("b2", 30, 100, 4, 1000)]
    section = paradigm_section("claims", records, [])
    assert section["distributions"]["compression: outlines / chapters (per book)"] == \
        [0.1, 0.3]
    assert section["numbers"]["compression: outlines / chapters (run)"] == 40 / 200
    assert section["numbers"]["compression: summary / book (run)"] == 5 / 2000
    assert (section["numbers"]["claim pairs"], section["numbers"]["books"]) == (3, 2)
    assert section["counts"]["scope"] == {"book": 3}


def test_reasoning_shows_question_kinds_and_fact_depth():
    records = [{"kind": "arithmetic", "facts": [{"bucket": "0-25%"}, {"bucket": "75-100%"}],
                "citations": [1, 2]},
               {"kind": None, "facts": [{"bucket": "0-25%"}], "citations": []}]
    section = paradigm_section("reasoning", records, [])
    assert section["counts"] == {"question kind": {"arithmetic": 1, "free_form": 1},
                                 "planted facts by depth": {"0-25%": 2, "75-100%": 1}}
    assert section["numbers"]["citations per record"] == 1.0


def conversation(*turns):
    return {"messages": [{"role": "system", "content": "You are a support agent."}] + [
        {"role": "user" if i % 2 == 0 else "assistant", "content": t}
        for i, t in enumerate(turns)]}


def test_conversation_shows_turns_by_role_and_how_the_openings_vary():
    records = [conversation("Hello, I need help with my bill?", "Of course: " + "x" * 76,
                            "Thanks.", "You are welcome."),
               conversation("Hello, I need to move my booking.", "Sure, which date?"),
               conversation("Hi! My parcel never came?", "I am sorry to hear that.")]
    section = paradigm_section("conversation", records, [])
    assert section["counts"]["first turn opens with"] == {"hello i need": 2, "hi my parcel": 1}
    numbers = section["numbers"]
    assert (numbers["records"], numbers["turns per record"]) == (3, 8 / 3)
    assert numbers["user turns asking a question"] == 2 / 4
    assert numbers["records with an opening no other record has"] == 1 / 3
    assert len(section["distributions"]["tokens per user turn"]) == 4
    assistant = section["distributions"]["tokens per assistant turn"]
    assert len(assistant) == 4 and max(assistant) >= 20  # the 87-character reply
    assert numbers["tokens per assistant turn (median)"] == statistics.median(assistant)
    assert paradigm_section("conversation", [], [])["numbers"]["records"] == 0
    # Without spaces between words, an opening is its first letters.
    japanese = [conversation("予約を変更したいです。", "承知しました。"),
                conversation("予約をキャンセルしたい。", "承知しました。")]
    opened = paradigm_section("conversation", japanese, [])["counts"]["first turn opens with"]
    assert opened == {"予 約 を": 2}


def test_a_paradigm_without_a_section_has_none_and_the_hook_is_on_the_contract():
    assert Paradigm.report_section(PARADIGMS["conversation"], [], []) is None  # the default
    assert paradigm_section("not-registered", [], []) is None
    for name in PARADIGMS:
        section = PARADIGMS[name].report_section([], [])
        assert section is None or isinstance(section, ReportSection)
