"""Stratified, weighted, deterministic allocation of samples to scenario variants.

1. Order the variants so strata interleave: domains spread evenly along the order, countries
   spread evenly inside each domain, and each scenario's variants sit together (shuffled).
2. Systematic sampling with probability proportional to weight: ``count`` evenly spaced
   points over the cumulative weights, from a seeded start. Every variant is picked
   ⌊count·w/W⌋ or ⌈count·w/W⌉ times, and picks are spread evenly along the order, so
   small requests still span the domains and no combination repeats before the space
   is covered.
3. Issue the picks pass by pass: every picked scenario once, then again, and so on.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from longweave.sampler.fields import Variant, field_value

T = TypeVar("T")


@dataclass(frozen=True)
class Pick:
    variant: Variant
    occurrence: int  # how many earlier picks of this request used the same base scenario


def spread(groups: Sequence[Sequence[T]], rng: random.Random) -> list[T]:
    """Interleave groups in proportion to their sizes (item i of a group of n sits at
    (i + offset)/n, offset seeded per group), so every stretch of the result mixes them."""
    keyed = []
    for g, group in enumerate(groups):
        offset = rng.random()
        keyed += [((i + offset) / len(group), g, i, item) for i, item in enumerate(group)]
    keyed.sort(key=lambda k: k[:3])
    return [k[3] for k in keyed]


def _grouped(items: Sequence[T], key: Callable[[T], str]) -> list[list[T]]:
    groups: dict[str, list[T]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return [groups[k] for k in sorted(groups)]


def stratified_order(candidates: Sequence[tuple[Variant, float]], rng: random.Random
                     ) -> list[tuple[Variant, float]]:
    by_scenario = _grouped(candidates, lambda c: c[0].scenario_id)
    blocks = []
    for block in by_scenario:
        block = list(block)
        rng.shuffle(block)
        blocks.append(block)
    domain_orders = []
    for domain_blocks in _grouped(blocks, lambda b: b[0][0].scenario["domain"]):
        countries = []
        for country_blocks in _grouped(domain_blocks,
                                       lambda b: field_value(b[0][0].scenario, "geography.country")):
            country_blocks = list(country_blocks)
            rng.shuffle(country_blocks)
            countries.append(country_blocks)
        domain_orders.append(spread(countries, rng))
    return [c for block in spread(domain_orders, rng) for c in block]


def systematic_picks(weights: Sequence[float], count: int, rng: random.Random) -> list[int]:
    """Indexes picked by `count` evenly spaced points over the cumulative weights."""
    cumulative = list(itertools.accumulate(weights))
    total = cumulative[-1]
    step = total / count
    start = rng.random() * step
    last = len(weights) - 1
    return [min(bisect.bisect_right(cumulative, start + k * step), last) for k in range(count)]


def plan(candidates: Sequence[tuple[Variant, float]], count: int, seed: int | str) -> list[Pick]:
    """`count` picks over weighted variants, deterministic for `seed`, pass by pass."""
    if not candidates or count <= 0:
        return []
    rng = random.Random(f"plan:{seed}")
    ordered = stratified_order(sorted(candidates, key=_variant_key), rng)
    picked = systematic_picks([w for _, w in ordered], count, rng)
    seen: dict[str, int] = defaultdict(int)
    picks: list[tuple[int, int, Pick]] = []
    for position, index in enumerate(picked):
        variant = ordered[index][0]
        occurrence = seen[variant.scenario_id]
        seen[variant.scenario_id] += 1
        picks.append((occurrence, position, Pick(variant, occurrence)))
    picks.sort(key=lambda p: p[:2])
    return [p[2] for p in picks]


def _variant_key(candidate: tuple[Variant, float]) -> tuple[str, str, str]:
    v = candidate[0]
    return (v.scenario_id, v.user_persona, v.tone)
