"""Which demo settings let the local toy model (SmolLM2-135M) pass the rule checks
honestly: the demo's conversations (each segment continuing the transcript so far, as
the mesh writes them) under several decoding and length settings, each run through the validator's text-quality and loop checks as they
are (nothing loosened). Prints, per setting, how many segments passed and which checks
failed. Needs the local stack's model server (`longweave stack up`); not part of `make test`.

    PYTHONPATH=services .venv/bin/python tests/bench/sweep_local_decoding.py [--samples 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx

from longweave.catalog import load_catalog
from longweave.checks import CheckInput, Part, checks_for, run_checks
from longweave.client import build_request
from longweave.demo import demo_request
from longweave.llm.decoding import decoding_seed
from longweave.llm.structured import with_structured_output
from longweave.paradigms import PARADIGMS, UnitInput
from longweave.prompts import PromptLibrary
from longweave.sampler.logic import build_samples, choose_scenarios
from longweave.settings import Settings
from longweave.validator import checks as _registered  # noqa: F401 - registers the checks

# The text checks (the length window depends on the tokenizer, the judge is off in the demo).
RECORD_CHECKS = {"loop_detection", "alpha_words", "word_length", "symbol_ratio",
                  "non_word_tokens", "code_in_prose", "stop_words", "compression_ratio",
                  "repeated_turn", "line_punctuation"}
ENGLISH = {"filters": {"geography.language": "English"}}
SHORT = {"params": {"segments": 2, "turns_per_segment": 1, "target_tokens": 160,
                    "length_tolerance": 1.0}}
SETTINGS = [  # (label, temperature, frequency penalty, request fields over the demo's)
    ("demo before: t=1.0 fp=0.8", 1.0, 0.8, {}),
    ("t=0.7 fp=0.8", 0.7, 0.8, {}),
    ("t=1.0 fp=0.8, English", 1.0, 0.8, ENGLISH),
    ("t=0.7 fp=0.8, English", 0.7, 0.8, ENGLISH),
    ("t=0.5 fp=1.0, English", 0.5, 1.0, ENGLISH),
    ("t=0.7 fp=0.8, English, 1 turn", 0.7, 0.8, {**ENGLISH, **SHORT}),
    ("t=0.7 fp=0.8, English, no layer", 0.7, 0.8, {**ENGLISH, "complexity": 0}),
]


async def first_segment(http: httpx.AsyncClient, url: str, body: dict[str, Any]) -> str:
    reply = await http.post(f"{url}/chat/completions", json=body, timeout=300)
    reply.raise_for_status()
    return reply.json()["choices"][0]["message"]["content"]


async def sweep(samples: int, only: str | None = None) -> None:
    settings = Settings()
    endpoint = settings.generator_endpoint
    url = endpoint.base_url.rstrip("/")
    prompts = PromptLibrary()
    conversation = PARADIGMS["conversation"]
    registered = {c.name for c in checks_for("conversation")}
    assert RECORD_CHECKS <= registered, f"checks not registered: {RECORD_CHECKS - registered}"
    async with httpx.AsyncClient() as http:
        for label, temperature, penalty, overrides in SETTINGS:
            if only and only not in label:
                continue
            request = build_request({**demo_request(samples), **overrides})
            picks = choose_scenarios(load_catalog(), request.count, request.seed,
                                     request.filters, request.weights)
            batch = build_samples(request, picks, created_at=datetime.now(UTC))
            params = conversation.parse_params(request.params)
            failed: Counter[str] = Counter()
            passed = 0
            started = time.monotonic()

            async def segment(sample: Any, index: int, context: str) -> list[dict]:
                unit = UnitInput(sample=sample, params=params, index=index,
                                 context=context, context_is_transcript=bool(context))
                call = conversation.unit_call(unit)
                rendered = prompts.render(call.template, **call.variables)
                # The body the generator sends (llm/client.py): its seed and structured output.
                body = with_structured_output(
                    {"model": endpoint.model, "messages": rendered.messages,
                     "max_tokens": call.max_tokens, "temperature": temperature,
                     "frequency_penalty": penalty, "seed": decoding_seed(sample.id, 1, index)},
                    call.json_schema, call.schema_name, endpoint.structured_output)
                return conversation.parse_unit(
                    json.loads(await first_segment(http, url, body)), unit)

            async def one(sample: Any) -> list[str]:
                """The record's segments in turn (each continues the transcript so far),
                then the checks."""
                parts: list[Part] = []
                context = ""
                try:
                    for index in range(params.segments):
                        output = await segment(sample, index, context)
                        parts += [Part(t["role"], t["content"], index) for t in output]
                        context = "\n".join(f"{p.role}: {p.content}" for p in parts)
                except (ValueError, KeyError) as exc:
                    return [f"unparseable ({type(exc).__name__})"]
                draft = CheckInput(parts=parts, spec=sample.spec, params=params,
                                   layers=sample.layers, scenario=sample.scenario,
                                   quality_settings=settings.quality)
                return [r.name for r in run_checks("conversation", draft)
                        if not r.passed and r.name in RECORD_CHECKS]

            for names in await asyncio.gather(*(one(s) for s in batch)):
                passed += not names
                failed.update(names)
            print(f"{label:28} passed {passed}/{samples}  "
                  f"({time.monotonic() - started:.0f}s)  failed: {dict(failed.most_common())}",
                  flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=9)
    parser.add_argument("--only", help="the settings whose label contains this")
    args = parser.parse_args()
    asyncio.run(sweep(args.samples, args.only))


if __name__ == "__main__":
    main()
