"""Pydantic models of what the mesh stores for others to read: a sample's spec (what every
stage reads of the request) and an accepted record in the ``records`` collection. Their
JSON Schemas are generated into ``contracts/schemas/`` with the messages'."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from longweave.contracts.messages import (
    SCHEMA_VERSION,
    AxisScore,
    Id,
    Language,
    Objective,
    ParadigmName,
    RunBudget,
)


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
    params: dict[str, Any] = Field(default_factory=dict)
    units: int = Field(ge=1)


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
    history: list[dict[str, Any]]
    validation: dict[str, Any]
    scores: dict[str, AxisScore]
    draft_id: Id


STORED_TYPES: tuple[type[BaseModel], ...] = (SampleSpec, Record)
