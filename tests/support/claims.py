"""Claims samples and records built from a book in deploy/corpus without a store: the
book's corpus entry (with its chapters), a planned sample, and clean unit outputs (an
outline per unit, a summary, a pair that changes one detail, verdicts that agree) to plant
defects into."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from longweave.contracts.records import Sample
from longweave.corpus.chapters import book_chapters
from longweave.corpus.chunks import structure
from longweave.corpus.extract import extract
from longweave.corpus.library import document_id
from longweave.paradigms import PARADIGMS
from longweave.paradigms.base import UnitInput
from longweave.paradigms.claims.logic import unit_roles
from longweave.sampler.logic import use_material
from support.documents import CORPUS
from support.samples import make_sample

claims = PARADIGMS["claims"]


def book_entry(name: str = "jekyll_and_hyde.txt") -> tuple[dict[str, Any], str]:
    """A book's corpus entry as the library stores it (no text), and its text."""
    doc = extract(CORPUS / name)
    entry = {"_id": document_id(doc.content_hash), "title": doc.title,
             "licence": doc.licence, "source": doc.source, "metadata": doc.metadata,
             "content_hash": doc.content_hash, "kind": "book",
             "chapters": [asdict(c) for c in book_chapters(doc.text, name)],
             **structure(doc.text)}
    return entry, doc.text


BOOK, TEXT = book_entry()


def claims_sample(params: dict[str, Any] | None = None, index: int = 0, seed: int = 3
                  ) -> Sample:
    sample = make_sample(f"run-1-{index:06d}", paradigm="claims", params=params or {})
    material = claims.plan_sample(claims.params_of(sample), [BOOK], index, seed)
    use_material(sample, material, claims)
    return sample


def outline(number: int, part: int = 1) -> dict[str, Any]:
    return {"synopsis": f"Chapter {number} part {part}: Utterson pursues Hyde.",
            "events": [f"Utterson walks in chapter {number} ({part}).",
                       f"Enfield talks in chapter {number} ({part})."],
            "characters": [{"name": "Utterson", "description": "a lawyer"},
                           {"name": f"Guest {number}.{part}", "description": "a guest"}]}


def clean_pair(sample: Sample) -> dict[str, Any]:
    target = sample.planned_material()["target"]
    return {"brainstorm": ["the walk", "the door"], "chapters": list(target),
            "events": [f"{target[0]}.1"],
            "true_claim": "Utterson walks with Enfield past the door of Hyde's house.",
            "false_claim": "Utterson walks with Poole past the door of Hyde's house.",
            "changed_detail": "Poole, not Enfield, walks with Utterson",
            "true_reasoning": f"Chapter {target[0]} (event {target[0]}.1) shows the walk.",
            "false_reasoning": f"Chapter {target[0]} shows Enfield, not Poole, there."}


def clean_outputs(sample: Sample, pair: dict[str, Any] | None = None) -> list[Any]:
    """Every unit's parsed output, in unit order."""
    material = sample.planned_material()
    outputs: list[Any] = []
    for role, k in unit_roles(material):
        if role == "outline":
            unit = material["outline_units"][k]
            outputs.append(outline(unit["chapter"], unit["part"]))
        elif role in ("group", "summary"):
            outputs.append(f"{role} {k}: Utterson learns that Hyde is Jekyll.")
        elif role == "claim":
            outputs.append(pair or clean_pair(sample))
        else:
            outputs.append({"true_claim": "supported", "false_claim": "contradicted",
                            "explanation": "The outline shows it.", "evidence": ["..."]})
    return outputs


def unit_of(sample: Sample, index: int, outputs: list[Any] | None = None) -> UnitInput[Any]:
    """Unit `index` of `sample` with what the generator would give it: the outputs of the
    stages before it, and the book's text where it reads it."""
    from longweave.planning import inputs_of

    written = outputs if outputs is not None else clean_outputs(sample)
    read = inputs_of(sample.spec, claims.plan, index)
    return UnitInput(sample=sample, params=claims.params_of(sample), index=index,
                     inputs=[written[i] for i in read],
                     documents={d: TEXT for d in claims.unit_documents(sample, index)})


def claims_record(sample: Sample, **content: Any) -> dict[str, Any]:
    return {**claims.assemble(sample, clean_outputs(sample)), "sample_id": sample.id,
            "paradigm": "claims", **content}
