"""The document_qa paradigm's request parameters (``params`` of a request)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from longweave.corpus.selection import DocumentSelection

TaskType = Literal["extraction", "multi_hop", "section_summary", "comparison", "timeline",
                   "unanswerable"]
ALL_TASK_TYPES: list[TaskType] = ["extraction", "multi_hop", "section_summary", "comparison",
                                  "timeline", "unanswerable"]


class DocumentQAParams(DocumentSelection):
    model_config = ConfigDict(extra="forbid")
    context_tokens: int = Field(8000, ge=500, le=1_000_000,
                                description="the context's length (8k-128k for real models)")
    context_tolerance: float = Field(0.2, gt=0, le=1,
                                     description="accepted: context_tokens × (1 ± tolerance)")
    pairs: int = Field(4, ge=1, le=32, description="question-answer pairs per record")
    task_types: list[TaskType] = Field(default_factory=lambda: list(ALL_TASK_TYPES),
                                       min_length=1)
    distractors: int = Field(0, ge=0, le=8, description="other documents mixed into the context")
    min_hop_tokens: int = Field(500, ge=0, description="multi-hop passages at least this far apart")
    context_in_system: bool = Field(False, description="sft/openai: the context in the system "
                                                       "message instead of the first user turn")

    @model_validator(mode="after")
    def _unique_task_types(self) -> DocumentQAParams:
        self.task_types = list(dict.fromkeys(self.task_types))
        return self
