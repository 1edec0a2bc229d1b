"""The claims paradigm's pure logic: which chapters a pair is about, how a book is cut into
outline units and summary groups, outlines merged per chapter, how far two claims differ,
and the book context of a verification prompt under a token budget."""

import pytest

from longweave.llm.tokens import estimate_tokens
from longweave.paradigms.claims.logic import (
    chapter_context,
    is_book_level,
    merged_outlines,
    outline_units,
    pair_difference,
    stages,
    summary_groups,
    unit_roles,
)
from support.claims import BOOK, TEXT, claims, claims_record, claims_sample, outline


def test_book_level_pairs_take_their_share_spread_evenly():
    assert [is_book_level(i, 0.5) for i in range(6)] == [False, True] * 3
    assert sum(is_book_level(i, 0.25) for i in range(100)) == 25
    assert not any(is_book_level(i, 0.0) for i in range(20))
    assert all(is_book_level(i, 1.0) for i in range(20))


def test_chapter_level_pairs_visit_every_chapter_before_any_twice():
    params = claims.parse_params({"book_level_share": 0})
    targets = [claims.plan_sample(params, [BOOK], i, 3)["target"] for i in range(12)]
    numbers = [t for [t] in targets]
    assert sorted(numbers[:10]) == list(range(1, 11)) and numbers[10:] == numbers[:2]
    again = [claims.plan_sample(params, [BOOK], i, 3)["target"] for i in range(12)]
    other_seed = [claims.plan_sample(params, [BOOK], i, 4)["target"] for i in range(12)]
    assert again == targets and other_seed != targets


def test_a_book_level_pair_combines_distinct_chapters():
    params = claims.parse_params({"book_level_share": 1, "chapters_per_book_claim": 3})
    for i in range(10):
        material = claims.plan_sample(params, [BOOK], i, 3)
        assert material["scope"] == "book"
        assert len(set(material["target"])) == 3 and material["target"] == \
            sorted(material["target"])


@pytest.mark.parametrize("part_tokens", [300, 1500, 3000, 100_000])
def test_outline_units_cover_every_chapter_in_parts_within_the_budget(part_tokens):
    chapters = claims.plan_sample(claims.parse_params({}), [BOOK], 0, 3)["chapters"]
    units = outline_units(chapters, BOOK["chunks"], part_tokens)
    for chapter in chapters:
        parts = [u for u in units if u["chapter"] == chapter["number"]]
        assert parts[0]["start"] == chapter["start"] and parts[-1]["end"] == chapter["end"]
        assert all(a["end"] == b["start"] for a, b in zip(parts, parts[1:]))
        assert [u["part"] for u in parts] == list(range(1, len(parts) + 1))
        assert {u["parts"] for u in parts} == {len(parts)}
        if chapter["tokens"] <= part_tokens:
            assert len(parts) == 1
        for u in parts:  # chunks never cut: a part outgrows the budget by one chunk at most
            inside = [c for c in BOOK["chunks"]
                      if u["start"] <= c["start"] and c["end"] <= u["end"]]
            largest = max((c["tokens"] for c in inside), default=0)
            assert sum(c["tokens"] for c in inside) <= max(part_tokens, largest)


def test_summary_groups_split_the_outlines_only_when_they_do_not_fit():
    units = [{"chapter": n, "part": 1, "parts": 1} for n in range(1, 11)]
    assert summary_groups(units, 5000) == []
    groups = summary_groups(units, 1600)  # three outlines (500 tokens each) per group
    assert groups == [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10]]
    assert summary_groups(units, 100) == [[n] for n in range(1, 11)]


def test_the_stages_match_the_units_each_role_takes():
    for params in ({}, {"outline_part_tokens": 1000, "summary_input_tokens": 2000},
                   {"strategy": "naive"}):
        material = claims_sample(params).planned_material()
        roles = [role for role, _ in unit_roles(material)]
        assert sum(stages(material)) == len(roles)
        assert roles[-2:] == ["claim", "verify"]
        if params.get("strategy") == "naive":
            assert roles == ["claim", "verify"] and stages(material) == [1, 1]


def test_the_outlines_of_a_chapters_parts_are_merged_in_order():
    material = claims_sample({"outline_part_tokens": 1000}).planned_material()
    units = material["outline_units"]
    merged = merged_outlines(material, [outline(u["chapter"], u["part"]) for u in units])
    assert sorted(merged) == list(range(1, 11))
    split = next(u for u in units if u["parts"] > 1)
    chapter = merged[split["chapter"]]
    assert len(chapter["events"]) == 2 * split["parts"]
    assert chapter["events"][0].endswith("(1).") and chapter["events"][-1].endswith(
        f"({split['parts']}).")
    names = [c["name"] for c in chapter["characters"]]
    assert names.count("Utterson") == 1 and len(names) == 1 + split["parts"]


@pytest.mark.parametrize(("true", "false", "spans", "negation_only"), [
    ("Elizabeth refuses Mr. Collins at Longbourn.",
     "Elizabeth refuses Mr. Darcy at Longbourn.", 1, False),
    ("The Traveller returns after eight days.",
     "The Traveller returns after three days.", 1, False),
    ("Dorothy meets the Scarecrow before the Tin Woodman.",
     "Dorothy meets the Tin Woodman before the Scarecrow.", 2, False),
    ("Alice drinks from the bottle and shrinks.",
     "Alice does not drink from the bottle and shrinks.", 1, False),
    ("Hyde tramples the girl at the corner.",
     "Hyde never tramples the girl at the corner.", 1, True),
    ("Scrooge didn't see Marley's ghost on Christmas Eve.",
     "Scrooge did see Marley's ghost on Christmas Eve.", 1, True),
    ("Poole breaks down the door.", "Poole breaks down the door.", 0, False),
])
def test_how_far_a_false_claim_differs_from_its_true_claim(true, false, spans,
                                                           negation_only):
    diff = pair_difference(true, false)
    assert (diff["spans"], diff["negation_only"]) == (spans, negation_only)


def test_a_rewritten_false_claim_changes_most_of_the_words():
    diff = pair_difference("Utterson reads the will in his study at night.",
                           "Lanyon dies of shock after seeing the transformation.")
    assert diff["changed_words"] / diff["words"] > 0.8


def test_the_book_context_keeps_the_cited_chapters_and_the_nearest_within_budget():
    record = claims_record(claims_sample({"book_level_share": 1}, index=0))
    cited = record["chapters_cited"]
    whole, kept = chapter_context(record, TEXT, None)
    assert kept == list(range(1, 11)) and "omitted]" not in whole
    chapters = {c["number"]: c for c in record["chapters"]}
    cited_tokens = sum(estimate_tokens(TEXT[chapters[n]["start"]:chapters[n]["end"]])
                       for n in cited)
    budget = cited_tokens + 4000
    text, kept = chapter_context(record, TEXT, budget)
    assert set(cited) <= set(kept) and len(cited) < len(kept) < 10
    assert estimate_tokens(text) <= budget
    assert "chapter(s) omitted]" in text
    titles = [c["title"] for c in record["chapters"]]
    positions = [text.index(titles[n - 1]) for n in kept]
    assert positions == sorted(positions)  # in book order
    # Nearest first: each chapter kept beside the cited ones is no further from them than
    # any left out.
    distance = {n: min(abs(n - c) for c in cited) for n in range(1, 11)}
    left_out = [n for n in range(1, 11) if n not in kept]
    assert max(distance[n] for n in kept) <= min(distance[n] for n in left_out) + 1
    # The cited chapters stay in even past the budget.
    tight, kept = chapter_context(record, TEXT, 500)
    assert kept == sorted(cited) and estimate_tokens(tight) > 500
