"""Programmatic reasoning items over two books: the facts sit where the item says, every
answer key is re-derived here from the context's text alone (not from the generator's
values), explicit depths are honoured, and 1,000 items cover every depth bucket."""

import random
import re
from collections import Counter
from pathlib import Path

import pytest

from longweave.reasoning import BUCKETS, KINDS, bucket_of, make_item
from longweave.rewards import normalise_answer

CORPUS = Path(__file__).resolve().parents[2] / "deploy" / "corpus"
FILLERS = [path.read_text()[20_000:80_000] for path in sorted(CORPUS.glob("*.txt"))]
STATION = re.compile(r"The (\w+) signal station logged (\d+) passing ships")
DEPOT = re.compile(r"The (\w+) depot received (\d+) crates")
KEY = re.compile(r"The key found in locker (\d+) opens locker (\d+)\.")
COINS = re.compile(r"Locker (\d+) holds (\d+) silver coins\.")


def rederived(item) -> str:
    """The answer from the context's text and the question, by other code than the
    generator's."""
    asked = re.findall(r"\b[A-Z][a-z]+\b", item.question.split(":")[-1].split("the depots")[-1])
    if item.kind == "chain":
        keys = dict(KEY.findall(item.context))
        locker = re.search(r"Start at locker (\d+)", item.question).group(1)
        while locker in keys:
            locker = keys[locker]
        return dict(COINS.findall(item.context))[locker]
    if item.kind == "odd_one_out":
        crates = {n: int(c) for n, c in DEPOT.findall(item.context)}
        counts = Counter(crates.values())
        return next(n for n, c in crates.items() if counts[c] == 1)
    ships = {n: int(v) for n, v in STATION.findall(item.context)}
    names = [n for n in re.findall(r"\b([A-Z][a-z]+)\b", item.question) if n in ships]
    if item.kind == "sum":
        return str(sum(ships[n] for n in names))
    if item.kind == "compare":
        return max(names, key=lambda n: ships[n])
    if item.kind == "order":
        return ", ".join(sorted(names, key=lambda n: ships[n]))
    threshold = int(re.search(r"more than (\d+)", item.question).group(1))
    assert asked  # the question names the stations it counts
    return str(sum(ships[n] > threshold for n in names))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("filler", range(len(FILLERS)))
def test_answer_keys_are_rederived_from_the_context_and_facts_sit_where_recorded(kind, filler):
    for seed in range(25):
        n_facts = max(3 if kind == "odd_one_out" else 2, 2 + seed % 4)
        item = make_item(FILLERS[filler], kind, seed, n_facts=n_facts)
        for fact in item.facts:
            assert item.context[fact.start:fact.start + len(fact.text)] == fact.text
            assert fact.depth == pytest.approx(fact.start / len(item.context))
        rest = item.context
        for fact in sorted(item.facts, key=lambda f: -f.start):  # the filler, and only it
            rest = rest[:fact.start] + rest[fact.start + len(fact.text):]
        assert rest.split() == FILLERS[filler].split()
        assert normalise_answer(rederived(item)) == normalise_answer(item.answer), item.question
        assert item == make_item(FILLERS[filler], kind, seed, n_facts=n_facts)


def test_explicit_depths_are_honoured_at_sentence_boundaries():
    item = make_item(FILLERS[0], "sum", 7, n_facts=3, depths=[0.05, 0.6, 0.95])
    assert item.depth_buckets == ["0-10%", "50-70%", "90-100%"]
    for fact in item.facts:  # a fact starts a sentence: after an ending, or the text's start
        before = item.context[:fact.start].rstrip()
        assert not before or before[-1] in ".!?\"'"
    with pytest.raises(ValueError, match="2 depths for 3 facts"):
        make_item(FILLERS[0], "sum", 7, n_facts=3, depths=[0.1, 0.2])
    with pytest.raises(ValueError, match="odd_one_out needs 3 facts"):
        make_item(FILLERS[0], "odd_one_out", 7, n_facts=2)


def test_a_thousand_items_cover_every_depth_bucket_and_kind():
    rng = random.Random(2026)
    buckets, kinds = Counter(), Counter()
    for i in range(1000):
        item = make_item(FILLERS[i % len(FILLERS)], rng.choice(KINDS), i, rng.randint(3, 5))
        buckets.update(item.depth_buckets)
        kinds[item.kind] += 1
    assert set(buckets) == {bucket_of(low) for low, _ in BUCKETS}
    assert min(buckets.values()) >= 100 and set(kinds) == set(KINDS)
