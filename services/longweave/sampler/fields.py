"""Scenario fields as a request sees them: variants, filters and weights.

A *variant* is one base scenario with one of its user personas and one of its tones (the
catalog's ``user_persona``/``tone`` plus ``alt_user_personas``/``alt_tones``). Filters and
weights address fields by name; nested geography fields are dotted (``geography.country``).
Values compare case-insensitively.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from longweave.contracts.messages import SCENARIO_FIELDS

VARIANT_FIELDS = ("user_persona", "tone")


@dataclass(frozen=True)
class Variant:
    scenario: Mapping[str, Any]
    user_persona: str
    tone: str

    @property
    def scenario_id(self) -> str:
        return str(self.scenario["scenario_id"])

    def value(self, field: str) -> str:
        if field in VARIANT_FIELDS:
            return str(getattr(self, field))
        return field_value(self.scenario, field)

    def effective_scenario(self) -> dict[str, Any]:
        """The scenario as this variant presents it to the generator (no variant lists)."""
        fields = {k: v for k, v in self.scenario.items()
                  if k not in ("alt_user_personas", "alt_tones")}
        return {**fields, "user_persona": self.user_persona, "tone": self.tone}


def field_value(scenario: Mapping[str, Any], field: str) -> str:
    value: Any = scenario
    for part in field.split("."):
        value = value.get(part, "") if isinstance(value, Mapping) else ""
    return str(value)


def variants_of(scenario: Mapping[str, Any]) -> list[Variant]:
    personas = _distinct([scenario["user_persona"], *scenario.get("alt_user_personas", [])])
    tones = _distinct([scenario["tone"], *scenario.get("alt_tones", [])])
    return [Variant(scenario, p, t) for p in personas for t in tones]


def wanted(filter_value: str | list[str]) -> set[str]:
    values = [filter_value] if isinstance(filter_value, str) else filter_value
    return {v.casefold() for v in values}


def matches(variant: Variant, filters: Mapping[str, str | list[str]]) -> bool:
    return all(variant.value(f).casefold() in wanted(v) for f, v in filters.items())


def weight_of(variant: Variant, weights: Mapping[str, Mapping[str, float]]) -> float:
    w = 1.0
    for field, by_value in weights.items():
        folded = {k.casefold(): v for k, v in by_value.items()}
        w *= folded.get(variant.value(field).casefold(), 1.0)
    return w


def weighted_candidates(
    scenarios: list[Mapping[str, Any]],
    filters: Mapping[str, str | list[str]],
    weights: Mapping[str, Mapping[str, float]],
) -> list[tuple[Variant, float]]:
    """Variants passing the filters, each with its sampling weight (> 0).

    Every scenario that passes gets the same base share, split evenly over its passing
    variants; weights then multiply a variant's share."""
    out: list[tuple[Variant, float]] = []
    for scenario in scenarios:
        kept = [v for v in variants_of(scenario) if matches(v, filters)]
        for variant in kept:
            w = weight_of(variant, weights) / len(kept)
            if w > 0 and math.isfinite(w):
                out.append((variant, w))
    return out


def unknown_values(
    scenarios: list[Mapping[str, Any]],
    filters: Mapping[str, str | list[str]],
    weights: Mapping[str, Mapping[str, float]],
) -> list[str]:
    """Filter and weight values no scenario has: almost always a typo, never silently ignored.
    Each problem lists the values the field does have."""
    known: dict[str, dict[str, str]] = {f: {} for f in SCENARIO_FIELDS}  # casefolded -> as written
    for scenario in scenarios:
        for variant in variants_of(scenario):
            for field in SCENARIO_FIELDS:
                value = variant.value(field)
                known[field].setdefault(value.casefold(), value)
    problems = []
    for kind, field, values in (
        *(("filters", f, [v] if isinstance(v, str) else v) for f, v in filters.items()),
        *(("weights", f, list(by)) for f, by in weights.items()),
    ):
        if field not in known:
            problems.append(f"{kind}.{field}: not a scenario field (fields: "
                            f"{', '.join(SCENARIO_FIELDS)})")
            continue
        missing = [v for v in values if v.casefold() not in known[field]]
        if missing:
            problems.append(f"{kind}.{field}: no scenario has {', '.join(map(repr, missing))} "
                            f"({_some(known[field].values())})")
    return problems


def _some(values: Iterable[str], shown: int = 12) -> str:
    """The values a field has, the first `shown` of them in order, for an error message."""
    ordered = sorted(values, key=str.casefold)
    more = f", … {len(ordered) - shown} more" if len(ordered) > shown else ""
    return "values: " + ", ".join(ordered[:shown]) + more


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))
