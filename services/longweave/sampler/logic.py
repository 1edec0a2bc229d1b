"""Pure sampling logic: deterministic for a seed, covers the catalog before repeating."""

from __future__ import annotations

import random
from typing import Any

from longweave.contracts import ScenarioRequest

NOISE_TRANSFORMATIONS = (
    "substitute synonyms for some common words",
    "restructure a few sentences (e.g. active to passive, split or join clauses)",
    "reorder phrases within some sentences where meaning allows",
    "add mild, natural redundancy (a brief restatement or confirmation)",
)


def sample_id(run_id: str, index: int) -> str:
    return f"{run_id}-{index:06d}"


def choose_scenarios(
    catalog: list[dict[str, Any]], count: int, seed: int
) -> list[dict[str, Any]]:
    """`count` scenarios: each pass over the catalog is a fresh seeded shuffle, so every
    scenario is used once before any is used twice."""
    if not catalog:
        return []
    rng = random.Random(seed)
    chosen: list[dict[str, Any]] = []
    while len(chosen) < count:
        order = sorted(catalog, key=lambda s: s["scenario_id"])
        rng.shuffle(order)
        chosen.extend(order[: count - len(chosen)])
    return chosen


def choose_noise(seed: int, index: int, k: int = 2) -> list[str]:
    """At least two surface transformations per sample (paper 2509.01185, noise injection)."""
    rng = random.Random(f"{seed}:{index}")
    return rng.sample(NOISE_TRANSFORMATIONS, k)


def sample_spec(request: ScenarioRequest) -> dict[str, Any]:
    return request.model_dump(
        mode="json",
        include={"paradigm", "objective", "segments", "turns_per_segment", "target_tokens",
                 "length_tolerance", "max_attempts", "judge_min_score"},
    )


def build_samples(
    request: ScenarioRequest, scenarios: list[dict[str, Any]], created_at: Any
) -> list[dict[str, Any]]:
    spec = sample_spec(request)
    docs = []
    for index, scenario in enumerate(scenarios):
        scenario = {k: v for k, v in scenario.items() if k != "_id"}
        docs.append({
            "_id": sample_id(request.run_id, index),
            "run_id": request.run_id,
            "index": index,
            "scenario_id": scenario["scenario_id"],
            "scenario": scenario,
            "spec": spec,
            "noise": choose_noise(request.seed, index),
            "attempt": 1,
            "redo_indexes": [],
            "feedback": [],
            "stage": "queued",
            "segments": {},
            "history": [],
            "created_at": created_at,
        })
    return docs
