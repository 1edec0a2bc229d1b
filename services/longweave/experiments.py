"""The method's experiments as requests (``longweave experiment NAME``): one run per arm,
each the same base request (same paradigm, count, params and seed, so the sampler draws
the same scenarios for every arm) with one field set to the arm's value. Their reports
then stand side by side.

An experiment is registered (`EXPERIMENTS`, entry-point group ``longweave.experiments``):
a name, the request field it varies and the arms' values. The judge's calibration against
human labels is ``longweave judge calibrate``, and end-to-end yield is any run's report.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from longweave.registry import Registry


@dataclass(frozen=True)
class Arm:
    label: str
    value: Any


@dataclass(frozen=True)
class Experiment:
    name: str
    question: str  # what the comparison answers
    field: str  # the ScenarioRequest field the arms set
    arms: tuple[Arm, ...]
    default_count: int  # per arm, the size the method proposes


EXPERIMENTS: Registry[Experiment] = Registry("experiment", "longweave.experiments")

EXPERIMENTS.register("noise", Experiment(
    name="noise",
    question="How much diversity do 0, 1 and 2+ noise transformations add, and what does it "
             "cost in the judge's scores (semantic fidelity)?",
    field="noise_transformations",
    arms=(Arm("noise-0", 0), Arm("noise-1", 1), Arm("noise-2", 2)),
    default_count=100,
))
EXPERIMENTS.register("fields", Experiment(
    name="fields",
    question="Do prompts that show more scenario fields (1, 3, 5) give more diverse records?",
    field="scenario_fields",
    arms=(Arm("fields-1", 1), Arm("fields-3", 3), Arm("fields-5", 5)),
    default_count=300,
))


def experiment_id(name: str, base: dict[str, Any]) -> str:
    """The same experiment on the same base request has the same id, so publishing it again
    (e.g. after an interruption) resumes its runs instead of starting new ones."""
    digest = hashlib.sha256(json.dumps([name, base], sort_keys=True, default=str).encode())
    return f"exp-{name}-{digest.hexdigest()[:10]}"


def arm_requests(experiment: Experiment, base: dict[str, Any]) -> list[tuple[Arm, dict[str, Any]]]:
    """Each arm's request fields: the base with the arm's value and a run id of its own."""
    if experiment.field in base:
        raise ValueError(f"the {experiment.name} experiment sets {experiment.field} itself; "
                         "leave it out of the base request")
    prefix = experiment_id(experiment.name, base)
    return [(arm, {**base, experiment.field: arm.value, "run_id": f"{prefix}-{arm.label}",
                   "request_id": f"{prefix}-{arm.label}"})
            for arm in experiment.arms]
