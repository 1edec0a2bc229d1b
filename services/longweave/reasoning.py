"""Programmatic long-context reasoning items: facts with values planted at controlled depths
of a long context, and a question that combines them (sum, compare, order, count, a chain
of references, the odd one out) whose answer key is computed by code, so it is exact.

Pure logic: the reasoning paradigm will draw its records from here. Every item records
where its facts fell (relative depth 0-1, its depth bucket, the characters between the
farthest two), for lost-in-the-middle analysis. Deterministic for a seed."""

from __future__ import annotations

import bisect
import random
import re
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["sum", "compare", "order", "count", "chain", "odd_one_out"]
KINDS: tuple[Kind, ...] = ("sum", "compare", "order", "count", "chain", "odd_one_out")
# Depth buckets (relative position of a fact in the context), as needle tests report them.
BUCKETS = ((0.0, 0.1), (0.1, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.0001))
STATIONS = ("Alder", "Birch", "Cedar", "Dunmore", "Elmstead", "Fallow", "Garnet", "Hollin",
            "Ivybridge", "Juniper", "Kestrel", "Larch", "Marrow", "Northwick", "Oakhurst",
            "Pellam")
# A sentence ends at . ! or ? (and a closing quote), before a capital or an opening quote;
# not after a title's abbreviation or an initial ("Mr. Utterson", "J. Smith").
_ABBREVIATIONS = ("Mr", "Mrs", "Ms", "Dr", "St", "Sr", "Jr", "Mt", "No", "Vol", "vs", "etc")
SENTENCE_END = re.compile(
    r"(?<=[.!?])[\"'”’)]*"
    + "".join(rf"(?<!\b{a}\.)" for a in _ABBREVIATIONS)
    + r"(?<!\b[A-Z]\.)\s+(?=[A-Z\"'“‘(])")


@dataclass(frozen=True)
class PlantedFact:
    text: str
    start: int  # character offset in the context
    depth: float  # start / len(context)


@dataclass(frozen=True)
class ReasoningItem:
    kind: Kind
    question: str
    answer: str
    context: str
    facts: list[PlantedFact] = field(default_factory=list)

    @property
    def depth_buckets(self) -> list[str]:
        return [bucket_of(f.depth) for f in self.facts]

    @property
    def spread_chars(self) -> int:
        starts = [f.start for f in self.facts]
        return max(starts) - min(starts) if starts else 0


def bucket_of(depth: float) -> str:
    for low, high in BUCKETS:
        if low <= depth < high:
            return f"{round(low * 100)}-{min(100, round(high * 100))}%"
    raise ValueError(f"depth {depth} is outside 0-1")


def _facts_and_question(kind: Kind, rng: random.Random, n: int
                        ) -> tuple[list[str], str, str]:
    """The fact sentences, the question and its answer key (computed here, from the
    values the facts state)."""
    names = rng.sample(STATIONS, n)
    values = rng.sample(range(12, 990), n)  # distinct, so comparisons have one answer
    if kind == "chain":
        lockers = rng.sample(range(10, 99), n + 1)
        facts = [f"The key found in locker {lockers[i]} opens locker {lockers[i + 1]}."
                 for i in range(n)]
        coins = values[0]
        facts.append(f"Locker {lockers[-1]} holds {coins} silver coins.")
        question = (f"Start at locker {lockers[0]} and follow the keys from locker to locker "
                    "until there are none left. How many silver coins does the last locker "
                    "hold?")
        return facts, question, str(coins)
    if kind == "odd_one_out":
        common = values[0]
        odd = rng.randrange(n)
        crates = [values[1] if i == odd else common for i in range(n)]
        facts = [f"The {name} depot received {c} crates of lamp oil this winter."
                 for name, c in zip(names, crates, strict=True)]
        question = (f"Of the depots {', '.join(names)}, which one received a different number "
                    "of crates of lamp oil this winter from all the others?")
        return facts, question, names[odd]
    facts = [f"The {name} signal station logged {v} passing ships last season."
             for name, v in zip(names, values, strict=True)]
    listed = ", ".join(names[:-1]) + f" and {names[-1]}"
    if kind == "sum":
        return facts, (f"How many passing ships did the {listed} signal stations log last "
                       "season in total?"), str(sum(values))
    if kind == "compare":
        best = names[values.index(max(values))]
        either = ", ".join(names[:-1]) + f" or {names[-1]}"
        return facts, (f"Which signal station logged the most passing ships last season: "
                       f"{either}?"), best
    if kind == "order":
        ordered = [name for _, name in sorted(zip(values, names, strict=True))]
        return facts, (f"List the {listed} signal stations from the fewest to the most passing "
                       "ships logged last season, separated by commas."), ", ".join(ordered)
    threshold = sorted(values)[rng.randrange(n)]  # one of the values: every fact counts
    count = sum(v > threshold for v in values)
    return facts, (f"How many of the {listed} signal stations logged more than {threshold} "
                   "passing ships last season?"), str(count)


def _boundary(bounds: list[int], target: int) -> int:
    """The first sentence boundary at or after `target` (the text's end at the latest)."""
    return bounds[min(bisect.bisect_left(bounds, target), len(bounds) - 1)]


def plant(filler: str, facts: list[str], depths: list[float]) -> tuple[str, list[PlantedFact]]:
    """`filler` with each fact inserted at a sentence boundary near its relative depth (in
    the given order of depths, which may be unsorted)."""
    bounds = [0, *(m.end() for m in SENTENCE_END.finditer(filler)), len(filler)]
    cuts = sorted((_boundary(bounds, int(d * len(filler))), i) for i, d in enumerate(depths))
    pieces, starts, at, length = [], [0] * len(facts), 0, 0
    for cut, i in cuts:
        pieces.append(filler[at:cut])
        length += cut - at
        sep_before = "" if cut == 0 or filler[cut - 1].isspace() else " "
        sentence = f"{sep_before}{facts[i]} "
        starts[i] = length + len(sep_before)
        pieces.append(sentence)
        length += len(sentence)
        at = cut
    pieces.append(filler[at:])
    context = "".join(pieces)
    planted = [PlantedFact(facts[i], starts[i], starts[i] / len(context))
               for i in range(len(facts))]
    return context, planted


def make_item(filler: str, kind: Kind, seed: int | str, n_facts: int = 3,
              depths: list[float] | None = None) -> ReasoningItem:
    """One item: `n_facts` facts (a chain also gets its final fact) planted in `filler` at
    `depths` (default: drawn uniformly, seeded)."""
    if not 2 <= n_facts <= len(STATIONS):
        raise ValueError(f"n_facts is 2-{len(STATIONS)}, got {n_facts}")
    if kind == "odd_one_out" and n_facts < 3:
        raise ValueError("odd_one_out needs 3 facts or more (of two, either is the odd one)")
    rng = random.Random(f"{kind}:{seed}")
    facts, question, answer = _facts_and_question(kind, rng, n_facts)
    if depths is None:
        depths = [rng.random() for _ in facts]
    if len(depths) != len(facts):
        raise ValueError(f"{len(depths)} depths for {len(facts)} facts")
    context, planted = plant(filler, facts, depths)
    return ReasoningItem(kind, question, answer, context, planted)
