"""Pydantic v2 models of the messages on longweave's topics.

Long texts (segments, stitched records) live in MongoDB; messages carry their ids
(claim check), so every message stays far below Kafka's 1 MB default limit.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

SCHEMA_VERSION: Final = 2  # 2: paradigm fields moved under ScenarioRequest.params

Id = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:\-]+$")]


# Languages the validator's language identifier answers (language.py: py3langid's
# labels, ISO 639-1 where there is a code, else ISO 639-3).
Language = Literal[
    "af", "am", "ar", "as", "az", "be", "bg", "bn", "br", "bs", "ca", "cs", "cy", "da", "de",
    "el", "en", "eo", "es", "et", "eu", "fa", "fi", "fr", "fy", "ga", "gd", "gl", "gu", "ha",
    "he", "hi", "hr", "ht", "hu", "hy", "id", "ig", "is", "it", "ja", "jv", "ka", "kk", "km",
    "kn", "ko", "ku", "ky", "la", "lg", "ln", "lo", "lt", "lv", "mg", "mk", "ml", "mn", "mr",
    "ms", "my", "ne", "nl", "no", "om", "or", "pa", "pl", "ps", "pt", "qu", "ro", "ru", "sa",
    "si", "sk", "sl", "so", "sq", "sr", "sv", "sw", "ta", "te", "th", "tl", "tr", "ug", "uk",
    "ur", "uz", "vi", "xh", "yo", "zh", "zu", "ace", "bcl", "dz", "ext", "gcf", "gom", "grc",
    "gug", "hbo", "kik", "nso", "pcm", "rw", "se", "sn", "st", "an", "ary", "crh", "fo", "fuv",
    "gcr", "guw", "kab", "lb", "lij", "ltg", "uzs", "wa", "sdh", "arz", "ba", "mt", "nn", "oc",
    "tg", "tk", "tt", "vec", "vo", "wuu", "yue",
]


MAX_PARAMS_BYTES = 128_000  # requests travel in one Kafka message


def utcnow() -> datetime:
    return datetime.now(UTC)


class Objective(StrEnum):
    SFT = "sft"
    DPO = "dpo"


class Message(BaseModel):
    """Base of every topic message: strict about unknown fields, versioned."""

    model_config = ConfigDict(extra="forbid")
    schema_version: Literal[2] = SCHEMA_VERSION


class Usage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prompt_tokens: int = Field(0, ge=0)
    completion_tokens: int = Field(0, ge=0)

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["system", "user", "assistant"]
    content: str


# Scenario fields a request may filter or weight on (nested geography fields are dotted).
SCENARIO_FIELDS = (
    "scenario_id", "domain", "tone", "register", "user_persona", "assistant_persona",
    "audience", "document_type", "geography.country", "geography.city", "geography.locale",
    "geography.language",
)
ScenarioField = Literal[
    "scenario_id", "domain", "tone", "register", "user_persona", "assistant_persona",
    "audience", "document_type", "geography.country", "geography.city", "geography.locale",
    "geography.language",
]
# The scenario fields a generation prompt can show, most telling first: a request's
# `scenario_fields` = k shows the first k (the others are left out of the prompt).
PROMPT_FIELDS = (
    "business_scenario", "tone", "geography", "user_persona", "guidance",
    "assistant_persona", "domain", "register", "audience", "document_type",
)
FieldValue = Annotated[str, Field(min_length=1, max_length=300)]
FilterValue = FieldValue | Annotated[list[FieldValue], Field(min_length=1, max_length=1000)]
Weight = Annotated[float, Field(ge=0, le=1_000_000, allow_inf_nan=False)]
OperatorName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
ParadigmName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]

# Request fields of schema_version 1 that moved under `params` (the conversation's).
MOVED_TO_PARAMS = ("segments", "turns_per_segment", "target_tokens", "length_tolerance",
                   "assistant_json_schema", "required_fields")


class RunBudget(BaseModel):
    """Limits on what one run may spend on LLM calls; when one is reached the run stops
    issuing new work and ends as "budget_stopped" (calls in flight still finish)."""

    model_config = ConfigDict(extra="forbid")
    max_tokens: int | None = Field(
        None, ge=1, description="prompt + completion tokens paid for, all roles together"
    )
    max_cost_usd: float | None = Field(
        None, gt=0, description="estimated cost in USD (from the gateway's price table)"
    )


class QualityThresholds(BaseModel):
    """Thresholds of the validator's text-quality checks (validator/text_quality.py says how
    each is measured and on what); null turns a check off. The defaults are the published
    ones: DataTrove's Gopher and FineWeb quality filters (Rae et al. 2021; Penedo et al.
    2024), NeMo Curator's heuristic filters and Whisper's compression ratio.

    Thresholds layer field by field: a request's over the settings' (``LONGWEAVE_QUALITY__
    <FIELD>``), the settings' over the defaults. A model remembers which fields were given
    and serializes only those, so a request's stays what its author wrote across Kafka and
    the store (`over` layers it)."""

    model_config = ConfigDict(extra="forbid")
    min_words: int = Field(
        20, ge=1, le=10_000,
        description="words from which one turn is measured on its own by the ratio checks "
                    "(shorter turns: only the token-level rules, and the record's prose as a "
                    "whole)",
    )
    min_alpha_word_share: float | None = Field(
        0.8, ge=0, le=1, description="share of words with a letter in them, at least (Gopher)")
    min_mean_word_length: float | None = Field(
        3.0, ge=0, le=100, description="mean word length in characters, at least (Gopher)")
    max_mean_word_length: float | None = Field(
        10.0, gt=0, le=100, description="mean word length in characters, at most (Gopher)")
    max_symbol_word_ratio: float | None = Field(
        0.1, ge=0, le=100,
        description="hash signs, and ellipses, per word, each at most (Gopher)")
    max_non_word_share: float | None = Field(
        0.2, ge=0, le=1,
        description="share of non-word tokens (identifiers with _ or mixing letters and "
                    "digits, long digit runs), at most; a short turn fails when most of its "
                    "words are such tokens",
    )
    max_code_lines: int | None = Field(
        0, ge=0, le=10_000,
        description="lines of code or JSON in a prose turn, at most, when the request asks "
                    "for neither",
    )
    min_stop_words: int | None = Field(
        2, ge=0, le=1000,
        description="stop words of the turn's language, at least (Gopher); a short turn "
                    "needs one",
    )
    max_compression_ratio: float | None = Field(
        2.4, gt=0, le=1000,
        description="zlib compression ratio of a turn's characters, per window of 1,000, at "
                    "most (Whisper)",
    )
    max_repeat_similarity: float | None = Field(
        0.8, ge=0, le=1,
        description="similarity of a turn to the previous turn of the same role, at most",
    )
    min_line_punctuation_share: float | None = Field(
        0.12, ge=0, le=1,
        description="share of the record's prose lines that end in terminal punctuation, at "
                    "least (FineWeb)",
    )

    @model_serializer(mode="plain")
    def _given_fields_only(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in type(self).model_fields
                if name in self.model_fields_set}

    def over(self, base: QualityThresholds) -> QualityThresholds:
        """These thresholds where they were given, `base`'s elsewhere."""
        return base.model_copy(update={name: getattr(self, name)
                                       for name in self.model_fields_set})


class ScenarioRequest(Message):
    """A user's order: ``count`` samples of one paradigm. Published on the requests topic.

    The fields here are common to every paradigm; the paradigm's own go under ``params``
    and are validated against its parameter model (``contracts/paradigms/<name>.json``)
    by the sampler, and by ``longweave publish`` before it publishes."""

    request_id: Id
    run_id: Id
    paradigm: ParadigmName = Field("conversation", description="a registered paradigm")
    params: dict[str, Any] = Field(
        default_factory=dict, description="the paradigm's parameters (its params model)"
    )
    objective: Objective = Objective.SFT
    count: int = Field(ge=1, le=100_000)
    max_attempts: int = Field(3, ge=1, le=10)
    judge_min_score: int | None = Field(
        None, ge=1, le=5,
        description="every judge axis (and the mean) must reach this; default: the rubric's "
                    "per-axis thresholds and overall rule",
    )
    filters: dict[ScenarioField, FilterValue] = Field(
        default_factory=dict, max_length=len(SCENARIO_FIELDS),
        description="keep scenarios whose field equals the value, or any of the values "
                    "(case-insensitive); tone and user_persona also match a scenario's variants",
    )
    weights: dict[ScenarioField, dict[FieldValue, Weight]] = Field(
        default_factory=dict, max_length=len(SCENARIO_FIELDS),
        description="field → value → weight (default 1, 0 excludes): a scenario variant's "
                    "share of the samples is proportional to the product of its weights",
    )
    complexity: int | None = Field(
        None, ge=0, le=8, description="constraint layers (complexification) added per "
                                      "sample; default: the paradigm's"
    )
    complexify_operators: list[OperatorName] = Field(
        default_factory=list, max_length=32,
        description="restrict complexification to these operators (default: all)",
    )
    noise_transformations: int = Field(
        2, ge=0, le=4,
        description="surface transformations the generator must apply per sample; the method "
                    "asks for at least 2, and 0 or 1 exist for the noise experiment",
    )
    scenario_fields: int | None = Field(
        None, ge=1, le=len(PROMPT_FIELDS),
        description="show the generation prompt only this many of the scenario's fields, in "
                    "the order of PROMPT_FIELDS (1: the business scenario alone); default: all. "
                    "For the fields experiment",
    )
    cache: bool = Field(
        True, description="reuse cached LLM replies (identical calls are served from MongoDB, "
                          "so a restarted run does not pay twice); false always calls the model"
    )
    budget: RunBudget = Field(default_factory=RunBudget)
    forbid_pii: bool = Field(
        False, description="reject records with emails, phone numbers or IBANs in them"
    )
    language: Language | None = Field(
        None, description="ISO 639-1 code of the language records must be written in"
    )
    quality: QualityThresholds | None = Field(
        None, description="the validator's text-quality thresholds; those given override "
                          "the settings' (null turns a check off)",
    )
    seed: int = Field(0, ge=-(2**63), le=2**63 - 1)
    created_at: datetime = Field(default_factory=utcnow)

    @model_validator(mode="before")
    @classmethod
    def _old_shape_says_how_to_write_the_new(cls, data: Any) -> Any:
        if isinstance(data, dict):
            moved = [k for k in MOVED_TO_PARAMS if k in data]
            if moved or data.get("schema_version") == 1:
                example = json.dumps({"paradigm": data.get("paradigm", "conversation"),
                                      "params": {k: data[k] for k in moved}})
                raise ValueError(
                    f"this is a schema_version 1 request: since schema_version "
                    f"{SCHEMA_VERSION} the paradigm's fields "
                    f"({', '.join(moved or MOVED_TO_PARAMS)}) "
                    f"go under \"params\", e.g. {example}"
                )
        return data

    @model_validator(mode="after")
    def _params_are_small(self) -> ScenarioRequest:
        if len(json.dumps(self.params)) > MAX_PARAMS_BYTES:
            raise ValueError(f"params are over {MAX_PARAMS_BYTES} bytes")
        return self

    @model_validator(mode="after")
    def _enough_operators(self) -> ScenarioRequest:
        chosen = set(self.complexify_operators)
        if chosen and self.complexity is not None and self.complexity > len(chosen):
            raise ValueError(f"complexity {self.complexity} needs at least {self.complexity} "
                             f"distinct complexify_operators, got {len(chosen)}")
        return self


class Scenario(Message):
    """One sampled scenario for one sample: the unit of work that flows through the mesh."""

    run_id: Id
    sample_id: Id
    scenario_id: Id
    index: int = Field(ge=0)


class SegmentTask(Message):
    """Generator, write segment ``segment_index`` of ``sample_id`` for ``attempt``."""

    run_id: Id
    sample_id: Id
    attempt: int = Field(ge=1)
    segment_index: int = Field(ge=0)
    # What came before the segment: the earlier turns verbatim while they fit the context
    # budget (``running_summary_is_transcript``), else a running summary of them.
    running_summary: str = Field("", max_length=20_000)
    running_summary_is_transcript: bool = False
    feedback: list[str] = Field(default_factory=list)


class Segment(Message):
    """A generated segment; its turns are stored in MongoDB under ``segment_id``."""

    run_id: Id
    sample_id: Id
    attempt: int = Field(ge=1)
    segment_index: int = Field(ge=0)
    segment_id: Id
    # The context the next segment continues from (see SegmentTask.running_summary).
    summary: str = Field("", max_length=20_000)
    summary_is_transcript: bool = False
    finish_reason: str
    usage: Usage = Field(default_factory=Usage)


class StitchedSample(Message):
    """A whole record of one attempt, stored in the ``drafts`` collection as ``draft_id``."""

    run_id: Id
    sample_id: Id
    attempt: int = Field(ge=1)
    draft_id: Id


class CheckResult(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    passed: bool
    reason: str = ""
    segment_indexes: list[int] = Field(
        default_factory=list, description="segments at fault; empty means the whole record"
    )
    details: dict[str, Any] = Field(default_factory=dict)


class ValidationReport(Message):
    run_id: Id
    sample_id: Id
    attempt: int = Field(ge=1)
    draft_id: Id
    passed: bool
    checks: list[CheckResult]

    @property
    def failures(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed]


class AxisScore(BaseModel):
    model_config = ConfigDict(extra="forbid")
    score: int = Field(ge=1, le=5)
    rationale: str


class Judgment(Message):
    run_id: Id
    sample_id: Id
    attempt: int = Field(ge=1)
    draft_id: Id
    passed: bool
    scores: dict[str, AxisScore]
    model: str
    prompt_version: str
    failed_axes: list[str] = Field(default_factory=list)


Stage = Literal["generator", "validator", "judge"]


class RegenerationRequest(Message):
    """Redo ``sample_id`` after ``attempt`` failed at ``stage``, with targeted feedback."""

    run_id: Id
    sample_id: Id
    attempt: int = Field(ge=1, description="the attempt that failed")
    stage: Stage
    reasons: list[str] = Field(min_length=1)
    segment_indexes: list[int] = Field(
        default_factory=list, description="segments to redo; empty means the whole record"
    )


class DeadLetter(Message):
    """Something that cannot go on: a bad input, or a sample out of attempts."""

    dead_letter_id: Id
    kind: Literal["invalid_message", "attempts_exhausted", "handler_failure"]
    source_topic: str
    reasons: list[str] = Field(min_length=1)
    run_id: str | None = None
    sample_id: str | None = None
    payload: str | None = Field(None, description="the original message, verbatim (truncated)")
    history: list[dict[str, Any]] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=utcnow)

    @model_validator(mode="after")
    def _sample_letters_name_the_sample(self) -> DeadLetter:
        if self.kind == "attempts_exhausted" and not self.sample_id:
            raise ValueError("an attempts_exhausted dead letter must name its sample")
        return self


class AcceptedSample(Message):
    """A draft that passed validation and judgment: the sink stores it as a record."""

    run_id: Id
    sample_id: Id
    attempt: int = Field(ge=1)
    draft_id: Id
    judgment: Judgment


MESSAGE_TYPES: tuple[type[Message], ...] = (
    ScenarioRequest,
    Scenario,
    SegmentTask,
    Segment,
    StitchedSample,
    ValidationReport,
    Judgment,
    RegenerationRequest,
    DeadLetter,
    AcceptedSample,
)
