"""The paradigm contract: what a kind of training data declares so that the mesh can make it.

A paradigm is one `Paradigm` object, registered by name (`longweave.paradigms`), with its
prompts under ``<prompts_root>/<name>/``. The services look it up by the name a sample
carries and never name one themselves. It declares:

- its request parameters (`params_model`, under the request's ``params``; every method
  that reads them gets them typed, and `params_of` reads them off a sample);
- its source (`source`, or per request `reads_documents`): the scenario catalog every
  sample draws from, and for ``documents`` also the corpus: the sampler hands the matching
  documents
  (`document_filter`) to `plan_sample`, which picks each sample's material, and
  `build_context` cuts the sample's context text from them;
- its unit plan: how many generation units a record takes (`units`) and how they depend on
  each other (`plan`): one after another, each continuing from the context before it
  (``sequential``, with a running summary once the verbatim history outgrows the budget),
  or all at once (``independent``, a fan-out), or all but the last at once and the last,
  a reduce over their outputs, when they are in (``fan_out_reduce``), or in stages sized
  per sample from its material (``staged``, `stages`: e.g. one unit per chapter, then a
  reduce over them, then what is written from it), each stage reading the outputs of the
  stages before it;
- per unit: the prompt, output schema and token limit (`unit_call`), and the parser
  (`parse_unit`);
- how the units assemble into a record (`assemble`; the keys it returns are stored on the
  draft and on the record);
- what the rule checks read (`parts`; checks are registered for paradigms in
  ``validator/checks.py``'s registry), its judge prompt (`judge_call`, with
  ``<name>/rubric.yaml``), and its export rows per format (`export_row`, `dpo_row`);
- optionally, its own section of ``longweave report`` (`report_section`: figures only it
  knows how to read off its records, e.g. where a grounded record's evidence sits).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel

from longweave.checks import Part as Part  # re-exported: part of the contract
from longweave.contracts.records import Draft, Sample
from longweave.corpus.selection import DocumentSelection
from longweave.planning import Plan as Plan  # re-exported: part of the contract
from longweave.prompts import PromptLibrary, prompts_root

P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True)
class UnitInput(Generic[P]):
    """What one unit is written from."""

    sample: Sample
    params: P
    index: int
    # Sequential plans: the record so far, verbatim while it fits the context budget
    # (`context_is_transcript`), else a running summary of it. Empty for the first unit.
    context: str = ""
    context_is_transcript: bool = False
    feedback: list[str] = field(default_factory=list)
    # Fan-out/reduce and staged plans: the outputs of the units of the stages before this
    # unit's, in order (a reduce: every fan-out unit's).
    inputs: list[Any] = field(default_factory=list)
    # The texts of the corpus documents the unit reads whole (`Paradigm.unit_documents`).
    documents: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class UnitCall:
    """One LLM call: a template of the paradigm's prompts, its variables, and the reply's
    limits. With `json_schema` the reply is decoded against it and parsed as JSON."""

    template: str
    variables: dict[str, Any]
    max_tokens: int
    json_schema: dict[str, Any] | None = None
    schema_name: str = "unit"
    temperature: float | None = None  # None: the generator's setting
    # A call that is the same whichever sample makes it (e.g. one chapter's outline): its
    # decoding seed comes from this key (and the attempt), not from the sample, so every
    # record that needs it, in this run or a later one, shares one response-cache entry.
    shared_as: str | None = None


@dataclass(frozen=True)
class ExportOptions:
    """How an export lays rows out, beyond their format (``longweave export`` flags)."""

    # Reasoning traces: in ``<think>…</think>`` before the answer, or in the assistant
    # message's ``reasoning_content`` field.
    trace_layout: Literal["think", "reasoning_content"] = "think"
    # Rows that hold a long source (a book): at most this many tokens of it (None: all).
    max_context_tokens: int | None = None
    # The corpus texts the rows read (`Paradigm.export_documents`), by document id: the
    # exporter loads them.
    documents: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportSection:
    """A paradigm's own section of ``longweave report`` (`Paradigm.report_section`): plain
    figures, laid out by the report. `numbers` become a table (one column per run),
    `counts` bar charts (category → count), `distributions` histograms (the values)."""

    title: str
    notes: tuple[str, ...] = ()
    numbers: Mapping[str, float | int | str | None] = field(default_factory=dict)
    counts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    distributions: Mapping[str, Sequence[float]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "notes": list(self.notes),
                "numbers": dict(self.numbers),
                "counts": {name: dict(c) for name, c in self.counts.items()},
                "distributions": {name: [float(v) for v in values]
                                  for name, values in self.distributions.items()}}


class Paradigm(ABC, Generic[P]):
    name: ClassVar[str]
    description: ClassVar[str] = ""
    params_model: type[P]
    plan: ClassVar[Plan] = Plan.SEQUENTIAL
    # Constraint layers (complexify) a request gets when it does not say; 0: the paradigm
    # takes none, and a request asking for some is refused.
    default_complexity: ClassVar[int] = 0
    export_formats: ClassVar[tuple[str, ...]] = ("sft", "openai")
    # "scenarios": samples draw from the catalog only; "documents": from the corpus too.
    source: ClassVar[str] = "scenarios"
    # The keys `assemble` returns: stored on the draft and copied onto the record.
    content_keys: ClassVar[tuple[str, ...]]

    def prompts_root(self) -> Path:
        """Where ``<name>/…`` templates live: the shipped prompts; a plug-in returns its own."""
        return prompts_root()

    @cached_property
    def prompts(self) -> PromptLibrary:
        return PromptLibrary(self.prompts_root())

    @property
    def rubric_path(self) -> Path:
        return self.prompts_root() / self.name / "rubric.yaml"

    def parse_params(self, raw: dict[str, Any]) -> P:
        """The request's params, validated and with defaults filled (raises pydantic's
        ValidationError)."""
        return self.params_model.model_validate(raw)

    def params_of(self, sample: Sample) -> P:
        """The params a sample was planned with (stored, with defaults, by the sampler)."""
        return self.params_model.model_validate(sample.spec.params)

    def reads_documents(self, params: P) -> bool:
        """Whether a request with these params draws from the corpus (the documents-source
        methods below); by default, a ``documents`` source does."""
        return self.source == "documents"

    def document_filter(self, params: P) -> dict[str, Any]:
        """Documents source: the MongoDB filter of the corpus entries a request draws from
        (params inheriting `DocumentSelection` say it themselves)."""
        if isinstance(params, DocumentSelection):
            return params.document_filter()
        raise NotImplementedError(f"paradigm {self.name} reads no documents")

    def plan_sample(self, params: P, documents: list[dict[str, Any]],
                    index: int, seed: int) -> dict[str, Any]:
        """Documents source: sample `index`'s material (which parts of which documents,
        what each unit is written from) from the corpus entries (chunk maps, no text),
        deterministic for the seed."""
        raise NotImplementedError(f"paradigm {self.name} reads no documents")

    def build_context(self, material: dict[str, Any], texts: dict[str, str]
                      ) -> tuple[str, dict[str, Any]]:
        """Documents source: the sample's context text from the documents' texts, and the
        material completed with it (e.g. the passages' text)."""
        raise NotImplementedError(f"paradigm {self.name} reads no documents")

    def problems(self, params: P, documents: list[dict[str, Any]]) -> list[str]:
        """Why a request cannot be sampled from these documents (documents source; the
        sampler refuses a request that matches none before asking)."""
        return []

    def card_lines(self, records: list[dict[str, Any]]) -> list[str]:
        """Extra lines for an export's dataset card (e.g. coverage figures)."""
        return []

    def report_section(self, records: list[dict[str, Any]], drafts: list[dict[str, Any]]
                       ) -> ReportSection | None:
        """The paradigm's own section of a run's report, from its accepted records and all
        its drafts (their verdicts: attempt, validation, judgment, rejected; not their
        content); None: the paradigm has none."""
        return None

    @abstractmethod
    def units(self, params: P) -> int:
        """How many units one record takes (a staged plan: before its material is planned;
        `stages` then sets them per sample)."""

    def stages(self, material: dict[str, Any]) -> list[int]:
        """Staged plans: how many units each stage of this sample takes, in order."""
        raise NotImplementedError(f"paradigm {self.name} has no staged plan")

    def unit_documents(self, sample: Sample, index: int) -> list[str]:
        """The corpus documents (ids) whose whole text unit `index` reads (the generator
        loads them into `UnitInput.documents`); most units read only their material."""
        return []

    def whole_record_units(self, sample: Sample) -> list[int]:
        """The units redone when a failure names none (the judge's, a near-duplicate):
        empty, every unit; a paradigm whose first stages only prepare (a book's outlines)
        names the units that write the record."""
        return []

    def shared_outputs(self, sample: Sample, outputs: list[Any]) -> list[dict[str, Any]]:
        """What the record's units wrote that other records share (e.g. a book's outlines):
        documents with an ``_id`` that names the shared thing, stored once (collection
        ``shared_outputs``) when the record is assembled; the record refers to them."""
        return []

    @abstractmethod
    def unit_call(self, unit: UnitInput[P]) -> UnitCall: ...

    @abstractmethod
    def parse_unit(self, reply: Any, unit: UnitInput[P]) -> Any:
        """The unit's output (JSON-able) from the reply (parsed JSON with a schema, else
        text); raise `longweave.llm.ReplyParseError` when it is unusable."""

    def carry_forward(self, unit: UnitInput[P], output: Any, budget_tokens: int
                      ) -> str | None:
        """Sequential plans: the verbatim record so far, for the next unit, while it fits
        `budget_tokens`; None asks for a summary (`summary_call`)."""
        return None

    def summary_call(self, unit: UnitInput[P], output: Any) -> UnitCall | None:
        """Sequential plans: the call that summarises the record so far; None: the next
        unit continues from nothing."""
        return None

    def summary_from_reply(self, text: str) -> str:
        return text.strip()

    @abstractmethod
    def assemble(self, sample: Sample, outputs: list[Any],
                 context: str | None = None) -> dict[str, Any]:
        """The record's content (`content_keys`) from its units' outputs, in unit order
        (and, for a documents source, the sample's context text)."""

    @abstractmethod
    def parts(self, content: dict[str, Any], params: P) -> list[Part]: ...

    @abstractmethod
    def judge_call(self, sample: Sample, content: dict[str, Any]
                   ) -> tuple[str, dict[str, Any]]:
        """The judge's template and variables (the judge adds ``axes``)."""

    def dedup_text(self, content: dict[str, Any]) -> str | None:
        """The text a record's near-duplicate signature is taken from (None: everything it
        wrote, every part but a system one)."""
        return None

    @abstractmethod
    def export_row(self, fmt: str, record: dict[str, Any],
                   options: ExportOptions = ExportOptions()) -> dict[str, Any]: ...

    def export_rows(self, fmt: str, record: dict[str, Any],
                    options: ExportOptions = ExportOptions()) -> list[dict[str, Any]]:
        """The rows a record gives in `fmt` (one by default, `export_row`; ``dpo`` rows come
        from rejected drafts, `dpo_row`, unless a paradigm makes them from the record)."""
        return [] if fmt == "dpo" else [self.export_row(fmt, record, options)]

    def export_documents(self, record: dict[str, Any], fmt: str) -> list[str]:
        """Corpus documents (ids) whose text the record's rows in `fmt` read."""
        return []

    def dpo_row(self, record: dict[str, Any], rejected: Draft,
                options: ExportOptions = ExportOptions()) -> dict[str, Any] | None:
        """A preference row of the accepted record over a judge-rejected draft, or None
        when that draft makes no pair (e.g. rejected for another reason)."""
        raise NotImplementedError(f"paradigm {self.name} has no dpo export")

    def __repr__(self) -> str:
        return f"<paradigm {self.name}: {type(self).__module__}.{type(self).__qualname__}>"
