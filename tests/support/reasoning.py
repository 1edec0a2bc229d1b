"""Reasoning samples built from the books in deploy/corpus (no store), and clean traces for
them (every fact or passage quoted, the right answer last) to plant defects into."""

from __future__ import annotations

from typing import Any

from longweave.contracts.records import Sample
from longweave.paradigms import PARADIGMS
from longweave.paradigms.base import UnitInput
from support.documents import sentence_in
from support.samples import make_sample

reasoning = PARADIGMS["reasoning"]


def reasoning_sample(params: dict[str, Any], entries: list[dict[str, Any]],
                     texts: dict[str, str], index: int = 0, seed: int = 0
                     ) -> tuple[Sample, str]:
    typed = reasoning.parse_params(params)
    material = reasoning.plan_sample(typed, entries, index, seed)
    context, material = reasoning.build_context(material, texts)
    sample = make_sample(f"run-t-{index:06d}", "reasoning", params, material=material,
                         context_id=f"run-t-{index:06d}")
    return sample, context


def clean_trace(sample: Sample) -> dict[str, Any]:
    """A reply that passes every check: it quotes each fact (or a sentence of each
    passage) in its reasoning and ends in the answer key (free-form: an answer)."""
    material = sample.material
    assert material is not None
    if material["mode"] == "programmatic":
        quotes = [f["text"] for f in material["facts"]]
        answer = material["answer_key"]
        steps = " ".join(f'The passage says "{q}"' for q in quotes)
        return {"reasoning": f"{steps} Combining these facts, the answer is {answer}.",
                "citations": quotes, "answer": answer}
    quotes = [sentence_in(p["text"]) for p in material["passages"]]
    steps = " ".join(f'One passage says "{q}"' for q in quotes)
    return {"question": "What links the two scenes the document describes far apart?",
            "reasoning": f"{steps} Together they show the same man at both moments, so the "
                         "answer is that one man links them.",
            "citations": quotes, "answer": "One man links them."}


def assembled(sample: Sample, context: str, reply: dict[str, Any] | None = None
              ) -> dict[str, Any]:
    """The record content written from `reply` (default: the clean trace)."""
    unit = UnitInput(sample=sample, params=reasoning.params_of(sample), index=0)
    output = reasoning.parse_unit(reply or clean_trace(sample), unit)
    return reasoning.assemble(sample, [output], context)
