"""Message contracts: every message that crosses a topic, defined once (pydantic v2).

The JSON Schemas under ``contracts/`` and the AsyncAPI document are generated from these
models (``longweave contracts``, contract_files.py) and a test keeps them in sync.
"""

from longweave.contracts.messages import (
    MESSAGE_TYPES,
    AcceptedSample,
    AxisScore,
    CheckResult,
    DeadLetter,
    Judgment,
    Objective,
    RegenerationRequest,
    RunBudget,
    Scenario,
    ScenarioRequest,
    Segment,
    SegmentTask,
    StitchedSample,
    Turn,
    Usage,
    ValidationReport,
)
from longweave.contracts.records import STORED_TYPES, Record, SampleSpec

__all__ = [
    "MESSAGE_TYPES",
    "STORED_TYPES",
    "Record",
    "SampleSpec",
    "AcceptedSample",
    "AxisScore",
    "CheckResult",
    "DeadLetter",
    "Judgment",
    "Objective",
    "RegenerationRequest",
    "RunBudget",
    "Scenario",
    "ScenarioRequest",
    "Segment",
    "SegmentTask",
    "StitchedSample",
    "Turn",
    "Usage",
    "ValidationReport",
]
