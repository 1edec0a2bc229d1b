"""Corpus entries and document_qa records built from the books in deploy/corpus, for tests
that need real long documents without a store; and a writer of clean pairs (quotes taken
from the passages, answers in other words) to plant defects into."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from longweave.contracts.records import Sample
from longweave.corpus.chunks import structure
from longweave.corpus.extract import extract
from longweave.corpus.library import document_id
from longweave.paradigms import PARADIGMS
from longweave.paradigms.base import UnitInput
from support.samples import make_sample

CORPUS = Path(__file__).resolve().parents[2] / "deploy" / "corpus"
document_qa = PARADIGMS["document_qa"]
UNANSWERABLE_QUESTION = "What exact salary did the narrator's accountant negotiate in Zurich?"


def corpus_entries() -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Entries as the library stores them (without text), and the texts by id."""
    entries, texts = [], {}
    for path in sorted(CORPUS.glob("*.txt")):
        doc = extract(path)
        doc_id = document_id(doc.content_hash)
        entries.append({"_id": doc_id, "title": doc.title, "licence": doc.licence,
                        "source": doc.source, "metadata": doc.metadata,
                        **structure(doc.text)})
        texts[doc_id] = doc.text
    return sorted(entries, key=lambda e: e["_id"]), texts


def sentence_in(text: str) -> str:
    """A whole sentence (20-300 characters) of `text`, or its opening words."""
    for match in re.finditer(r"[A-Z][^.!?\n]{19,298}[.!?]", text):
        return match.group(0)
    return " ".join(text.split()[:12])


def clean_reply(task_type: str, passages: list[str]) -> dict[str, Any]:
    if task_type == "unanswerable":
        return {"question": UNANSWERABLE_QUESTION,
                "answer": "The document does not say; it never mentions such a thing.",
                "evidence": []}
    quotes = [sentence_in(p) for p in passages]
    # Different for every pair (the shared loop check rejects repeated turns).
    topic = " ".join(quotes[0].split()[-6:])
    return {"question": f"In the {task_type} part that has '{topic}', what happens?",
            "answer": f"Briefly, for this {task_type} question: the lines ending '{topic}' "
                      "move the story on.",
            "evidence": [{"quote": q} for q in quotes]}


def sample_for(params: dict[str, Any], entries: list[dict[str, Any]], texts: dict[str, str],
               index: int, seed: int = 0) -> tuple[Sample, str]:
    material = document_qa.plan_sample(document_qa.parse_params(params), entries, index, seed)
    context, material = document_qa.build_context(material, texts)
    sample = make_sample(f"run-t-{index:06d}", "document_qa", params, material=material,
                         context_id=f"run-t-{index:06d}")
    return sample, context


def record_for(sample: Sample, context: str,
               replies: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The assembled content of `sample` written from `replies` (default: clean ones)."""
    params = document_qa.params_of(sample)
    assert sample.material is not None
    outputs = []
    for n, unit_plan in enumerate(sample.material["units"]):
        reply = replies[n] if replies else clean_reply(
            unit_plan["task_type"], [p["text"] for p in unit_plan["passages"]])
        unit = UnitInput(sample=sample, params=params, index=n)
        outputs.append(document_qa.parse_unit(reply, unit))
    return document_qa.assemble(sample, outputs, context)
