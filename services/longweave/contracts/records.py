"""Pydantic models of what the mesh stores: a sample in flight (``samples``: its spec, what
every stage reads of the request, and where its attempts stand), a draft of a record
(``drafts``) and an accepted record (``records``). Stages read and write these, never bare
documents; their JSON Schemas are generated into ``contracts/schemas/`` with the messages'.

A paradigm's own payload stays its own: the spec's ``params`` is the paradigm's
``params_model`` (`Paradigm.params_of` gives it typed), a documents source's ``material``
is what its ``plan_sample`` planned, and a draft's content is the paradigm's
``content_keys``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from longweave.contracts.messages import (
    PROMPT_FIELDS,
    SCHEMA_VERSION,
    AxisScore,
    Id,
    Judgment,
    Language,
    Objective,
    ParadigmName,
    QualityThresholds,
    RunBudget,
    Usage,
)

# Where a sample is: waiting for its first unit, its units being written, its draft being
# checked (the rule checks, then the judge), or finished (the last three). Moves between
# the validator, the judge and the sink are not written: each stage write is a sample
# update, the store's costliest operation.
SampleStage = Literal["queued", "generating", "checking",
                      "accepted", "dead_lettered", "stopped"]


class SampleSpec(BaseModel):
    """The request's common fields every stage reads, the paradigm's validated params
    (defaults filled) and how many units one record takes."""

    model_config = ConfigDict(extra="forbid")
    paradigm: ParadigmName
    objective: Objective = Objective.SFT
    max_attempts: int = Field(3, ge=1, le=10)
    judge_min_score: int | None = Field(None, ge=1, le=5)
    cache: bool = True
    budget: RunBudget = Field(default_factory=RunBudget)
    forbid_pii: bool = False
    language: Language | None = None
    # The request's text-quality thresholds (only those it gave; the validator layers them
    # over the settings').
    quality: QualityThresholds | None = None
    scenario_fields: int | None = Field(None, ge=1, le=len(PROMPT_FIELDS))
    params: dict[str, Any] = Field(default_factory=dict)
    units: int = Field(ge=1)
    # Staged plans: units per stage, in order (set per sample from its material).
    stages: list[int] = Field(default_factory=list)


class SegmentRef(BaseModel):
    """A unit written in an attempt, as the sample notes it: the stored segment's id and
    what the next unit of a sequential plan continues from."""

    model_config = ConfigDict(extra="forbid")
    id: Id
    summary: str = ""
    transcript: bool = False  # `summary` is the record so far verbatim, not a summary


class AttemptFailure(BaseModel):
    """Why an attempt ended without a record (the sample's ``history``)."""

    model_config = ConfigDict(extra="forbid")
    attempt: int = Field(ge=1)
    stage: str
    reasons: list[str]
    segment_indexes: list[int] = Field(default_factory=list)
    at: str


class Sample(BaseModel):
    """One record being made: what the sampler chose for it, and where its attempts are."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    id: Id = Field(alias="_id", description="the sample id")
    run_id: Id
    index: int = Field(ge=0)
    scenario_id: str
    scenario: dict[str, Any]
    sampled: dict[str, Any]
    combination_id: str
    layers: list[dict[str, Any]] = Field(default_factory=list)
    spec: SampleSpec
    noise: list[str] = Field(default_factory=list)
    stage: SampleStage = "queued"
    attempt: int = Field(1, ge=1)
    # The units the current attempt writes (empty: all); the others are reused.
    redo_indexes: list[int] = Field(default_factory=list)
    feedback: list[str] = Field(default_factory=list)
    begun_by: str = Field("", description="which failure began the current attempt")
    # "a<attempt>" → "s<unit index>" → the unit written in that attempt.
    segments: dict[str, dict[str, SegmentRef]] = Field(default_factory=dict)
    history: list[AttemptFailure] = Field(default_factory=list)
    # Documents source: the sample's plan (`Paradigm.plan_sample`, completed by
    # `build_context`) and its context text's id in ``contexts``.
    material: dict[str, Any] | None = None
    context_id: Id | None = None
    created_at: datetime
    updated_at: datetime | None = None
    accepted_attempt: int | None = None
    accepted_at: datetime | None = None
    dead_letter_id: str | None = None
    stopped_reason: str | None = None

    def document(self) -> dict[str, Any]:
        """The sample as stored (``_id``, datetimes kept as such)."""
        return self.model_dump(by_alias=True, exclude_none=True)

    def prompt_scenario(self) -> dict[str, Any]:
        """The scenario as the prompts show it: with the request's ``scenario_fields`` = k,
        the first k of `PROMPT_FIELDS` keep their values and the others are emptied (a
        template leaves out a line whose field is empty); otherwise the whole scenario."""
        shown = self.spec.scenario_fields
        if shown is None:
            return self.scenario
        hidden = set(PROMPT_FIELDS[shown:])
        return {key: (_emptied(value) if key in hidden else value)
                for key, value in self.scenario.items()}

    def planned_material(self) -> dict[str, Any]:
        """A documents-source sample's material (a ValueError for any other sample)."""
        if self.material is None:
            raise ValueError(f"sample {self.id} has no material (a documents source plans it)")
        return self.material


def _emptied(value: Any) -> Any:
    return {key: "" for key in value} if isinstance(value, dict) else ""


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stage: str
    reasons: list[str]


class Draft(BaseModel):
    """One attempt's assembled record, before and while it is checked and judged. Its
    content (the paradigm's ``content_keys``) is stored beside these fields, as on the
    record; `content` reads it."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    id: Id = Field(alias="_id", description="the draft id")
    run_id: Id
    sample_id: Id
    attempt: int = Field(ge=1)
    segment_ids: list[Id]
    finish_reasons: list[str]
    models: list[str]
    prompt_versions: dict[str, str | None]
    generation_usage: Usage
    created_at: datetime
    validation: dict[str, Any] | None = None
    judgment: Judgment | None = None
    rejected: Rejection | None = None

    @classmethod
    def assembled(cls, content: dict[str, Any], **fields: Any) -> Draft:
        clash = set(content) & {"_id", *cls.model_fields}
        if clash:
            raise ValueError(f"a paradigm's content may not use the draft's keys {clash}")
        return cls.model_validate({**fields, **content})

    def content(self, keys: tuple[str, ...]) -> dict[str, Any]:
        """The paradigm's content (its ``content_keys``)."""
        extra = self.model_extra or {}
        missing = [key for key in keys if key not in extra]
        if missing:
            raise LookupError(f"draft {self.id} lacks content {missing}")
        return {key: extra[key] for key in keys}

    def document(self) -> dict[str, Any]:
        """The draft as stored (verdicts not given yet are left out, content kept whole)."""
        unset = {name for name in ("validation", "judgment", "rejected")
                 if getattr(self, name) is None}
        return self.model_dump(by_alias=True, exclude=unset)


class RecordModels(BaseModel):
    model_config = ConfigDict(extra="forbid")
    generator: list[str]
    judge: str


class RecordTokens(BaseModel):
    model_config = ConfigDict(extra="forbid")
    record_estimate: int = Field(ge=0)
    prompt: int = Field(ge=0)
    completion: int = Field(ge=0)
    llm_calls: int = Field(ge=0)


class RecordTimings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    created_at: datetime
    accepted_at: datetime
    wall_s: float
    llm_s: float = Field(ge=0)


class Record(BaseModel):
    """An accepted record. Besides these fields it holds its paradigm's content (the
    paradigm's ``content_keys``: ``messages`` for a conversation; ``context``, ``pairs`` and
    ``documents`` for document_qa)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    id: Id = Field(alias="_id", description="the sample id")
    schema_version: Literal[2] = SCHEMA_VERSION
    run_id: Id
    sample_id: Id
    paradigm: ParadigmName
    objective: Objective
    scenario_id: str
    scenario: dict[str, Any]
    noise: list[str]
    layers: list[dict[str, Any]]
    sampled: dict[str, Any]
    spec: SampleSpec
    models: RecordModels
    prompt_versions: dict[str, str | None]
    tokens: RecordTokens
    timings: RecordTimings
    attempts: int = Field(ge=1)
    history: list[AttemptFailure]
    validation: dict[str, Any]
    scores: dict[str, AxisScore]
    draft_id: Id


STORED_TYPES: tuple[type[BaseModel], ...] = (SampleSpec, Sample, Draft, Record)
