"""Pure sampling logic: a request and the catalog in, sample documents out.

Deterministic for a seed. Each sample records every sampled field under ``sampled`` and a
``combination_id``: the hash of its *field combination*, the tuple (scenario, user persona,
tone, constraint layers with their parameters, noise transformations). The scenario fixes
domain, situation, guidance, geography, register, audience, document type and assistant
persona, so two samples with different combination ids differ in at least one sampled field.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from longweave.catalog import scenario_fields
from longweave.complexify import ConstraintLayer, apply_operators, operator_names
from longweave.contracts import SampleSpec, ScenarioRequest
from longweave.contracts.records import Sample
from longweave.noise import NOISE_INSTRUCTIONS
from longweave.paradigms import PARADIGMS, Paradigm, Plan
from longweave.registry import RegistryError
from longweave.sampler.fields import unknown_values, weighted_candidates
from longweave.sampler.plan import Pick, plan

# Above this many operator combinations, draw one per sample instead of cycling through all.
MAX_ENUMERATED_COMBINATIONS = 5_000


def sample_id(run_id: str, index: int) -> str:
    return f"{run_id}-{index:06d}"


def paradigm_problems(request: ScenarioRequest) -> list[str]:
    """An unknown paradigm, or params its parameter model refuses (one line per field)."""
    try:
        paradigm = PARADIGMS[request.paradigm]
    except RegistryError as exc:
        return [f"paradigm: {exc.args[0]}"]
    try:
        paradigm.parse_params(request.params)
    except ValidationError as exc:
        return [f"params.{'.'.join(str(p) for p in err['loc']) or '<params>'}: {err['msg']}"
                for err in exc.errors()[:20]]
    return []


def complexity(request: ScenarioRequest, paradigm: Paradigm[Any]) -> int:
    """The request's constraint layers per sample, or its paradigm's default."""
    return paradigm.default_complexity if request.complexity is None else request.complexity


def request_problems_before_sampling(request: ScenarioRequest) -> list[str]:
    """Why a contract-valid request cannot run, whatever the catalog holds: its paradigm,
    its params, its complexification."""
    problems = paradigm_problems(request)
    if problems:
        return problems
    layers = complexity(request, PARADIGMS[request.paradigm])
    known = operator_names(request.paradigm)  # the operators written for this paradigm
    unknown_ops = sorted(set(request.complexify_operators) - set(known))
    if unknown_ops:
        problems.append(f"complexify_operators: unknown {', '.join(map(repr, unknown_ops))} "
                        f"(known for {request.paradigm}: {', '.join(known)})")
    available = len(set(request.complexify_operators) or known)
    if layers > available:
        problems.append(f"complexity {layers} exceeds the {available} operators available "
                        f"for {request.paradigm}")
    return problems


def corpus_problems(paradigm: Paradigm[Any], params: Any,
                    documents: list[dict[str, Any]]) -> list[str]:
    """Why a documents-source request cannot be sampled from the documents it matched."""
    if not documents:
        return [f"params: no document in the corpus matches {paradigm.document_filter(params)} "
                "(add some with `longweave documents add`)"]
    return paradigm.problems(params, documents)


def request_problems(request: ScenarioRequest, catalog: list[Mapping[str, Any]]) -> list[str]:
    """Why a contract-valid request cannot be sampled from `catalog` (empty: it can)."""
    problems = request_problems_before_sampling(request)
    problems += unknown_values(catalog, request.filters, request.weights)
    if not problems and not weighted_candidates(catalog, request.filters, request.weights):
        problems.append(f"no scenario matches the filters {request.filters} "
                        f"with a non-zero weight")
    return problems


def choose_scenarios(catalog: list[Mapping[str, Any]], count: int, seed: int,
                     filters: Mapping[str, Any] | None = None,
                     weights: Mapping[str, Any] | None = None) -> list[Pick]:
    """`count` stratified picks (scenario variant + occurrence), pass by pass."""
    return plan(weighted_candidates(catalog, filters or {}, weights or {}), count, seed)


def choose_operators(names: list[str], complexity: int, seed: int, index: int) -> list[str]:
    """Operators for sample `index`: the request cycles through every combination of
    `complexity` operators (seeded order) before any repeats; their order is shuffled."""
    if complexity == 0:
        return []
    names = sorted(names)
    rng = random.Random(f"{seed}:layers:{index}")
    if math.comb(len(names), complexity) > MAX_ENUMERATED_COMBINATIONS:
        return rng.sample(names, complexity)
    combos = list(itertools.combinations(names, complexity))
    random.Random(f"{seed}:layer-combinations").shuffle(combos)
    chosen = list(combos[index % len(combos)])
    rng.shuffle(chosen)
    return chosen


def choose_noise_names(seed: int, index: int, k: int = 2) -> list[str]:
    """`k` surface transformations per sample (the method asks for at least two, paper
    2509.01185; a request may ask for fewer in the noise experiment), cycling through every
    k-subset (seeded order) before any repeats."""
    if k == 0:  # below the method's two: for the noise experiment only
        return []
    combos = list(itertools.combinations(sorted(NOISE_INSTRUCTIONS), k))
    random.Random(f"{seed}:noise-combinations").shuffle(combos)
    return list(combos[index % len(combos)])


def sample_spec(request: ScenarioRequest) -> SampleSpec:
    """What every stage reads of the request: the common fields, the paradigm's validated
    params (defaults filled) and its number of units per record."""
    paradigm = PARADIGMS[request.paradigm]
    params = paradigm.parse_params(request.params)
    return SampleSpec.model_validate({
        **request.model_dump(
            include={"paradigm", "objective", "max_attempts", "judge_min_score",
                     "cache", "budget",  # the LLM gateway reads these where calls are made
                     "forbid_pii", "language",  # the validator's optional checks read these
                     "scenario_fields"},  # the prompts read this (Sample.prompt_scenario)
        ),
        "params": params.model_dump(mode="json"),
        "units": paradigm.units(params),
        # The validator's text checks: only the thresholds the request gave (they layer
        # over the settings' there).
        "quality": request.quality,
    })


def sampled_fields(pick: Pick, layers: list[ConstraintLayer], noise: list[str]
                   ) -> dict[str, Any]:
    scenario = pick.variant.effective_scenario()
    geo = scenario["geography"]
    return {
        "scenario_id": scenario["scenario_id"],
        "domain": scenario["domain"],
        "geography": {k: geo[k] for k in ("country", "city", "locale", "language")},
        "tone": scenario["tone"],
        "register": scenario["register"],
        "user_persona": scenario["user_persona"],
        "assistant_persona": scenario["assistant_persona"],
        "audience": scenario["audience"],
        "document_type": scenario["document_type"],
        "layers": [layer.operator for layer in layers],
        "noise": noise,
        "occurrence": pick.occurrence,
    }


def combination_key(sampled: Mapping[str, Any], layers: list[ConstraintLayer]) -> str:
    """The field combination a sample stands for, as canonical JSON (see module doc)."""
    return json.dumps([
        sampled["scenario_id"], sampled["user_persona"], sampled["tone"],
        sorted(json.dumps([layer.operator, layer.spec, layer.instruction], sort_keys=True)
               for layer in layers),
        sorted(sampled["noise"]),
    ], ensure_ascii=False)


def combination_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def build_samples(request: ScenarioRequest, picks: list[Pick], created_at: Any,
                  first_index: int = 0) -> list[Sample]:
    """Sample documents for `picks`, numbered from `first_index` (so a large request can be
    built in slices; layers and noise depend on the index only, not on the slicing)."""
    spec = sample_spec(request)
    paradigm = PARADIGMS[request.paradigm]
    params = paradigm.params_model.model_validate(spec.params)  # typed, for the operators
    layers_per_sample = complexity(request, paradigm)
    operators = sorted(set(request.complexify_operators) or operator_names(request.paradigm))
    docs = []
    for index, pick in enumerate(picks, start=first_index):
        scenario = scenario_fields(pick.variant.effective_scenario())
        layer_names = choose_operators(operators, layers_per_sample, request.seed, index)
        layers = apply_operators(layer_names, scenario, params,
                                 f"{request.seed}:{index}")
        noise = choose_noise_names(request.seed, index, request.noise_transformations)
        sampled = sampled_fields(pick, layers, noise)
        docs.append(Sample(
            id=sample_id(request.run_id, index),
            run_id=request.run_id,
            index=index,
            scenario_id=scenario["scenario_id"],
            scenario=scenario,
            sampled=sampled,
            combination_id=combination_id(combination_key(sampled, layers)),
            layers=[layer.model_dump() for layer in layers],
            spec=spec,
            noise=[NOISE_INSTRUCTIONS[name] for name in noise],
            created_at=created_at,
        ))
    return docs



def use_material(sample: Sample, material: dict[str, Any], paradigm: Paradigm[Any]) -> None:
    """The sample is written from `material` (and its stored context); a staged plan's
    units are counted from it."""
    sample.material, sample.context_id = material, sample.id
    if paradigm.plan is Plan.STAGED:
        stages = paradigm.stages(material)
        sample.spec = sample.spec.model_copy(update={"units": sum(stages), "stages": stages})


def plan_materials(samples: list[Sample], paradigm: Paradigm[Any],
                   documents: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """Documents source: what each sample is written from (`Paradigm.plan_sample`)."""
    return [paradigm.plan_sample(paradigm.params_of(sample), documents, sample.index, seed)
            for sample in samples]


def attach_contexts(samples: list[Sample], materials: list[dict[str, Any]],
                    paradigm: Paradigm[Any], texts: dict[str, str]) -> list[dict[str, Any]]:
    """Each sample gets its material, completed by its context (`build_context`); the
    context itself is returned as a document of its own (long texts stay out of the sample,
    which every stage reads). `texts` holds every document the materials name."""
    contexts = []
    for sample, material in zip(samples, materials, strict=True):
        context, completed = paradigm.build_context(material, texts)
        use_material(sample, completed, paradigm)
        contexts.append({"_id": sample.id, "run_id": sample.run_id, "text": context,
                         "material": sample.material})
    return contexts
