"""The registry of services: name → module with ``build_router(ctx)`` (and ``startup``)."""

from __future__ import annotations

from types import ModuleType

from longweave.generator import service as generator
from longweave.judge import service as judge
from longweave.sampler import service as sampler
from longweave.sink import service as sink
from longweave.stitcher import service as stitcher
from longweave.validator import service as validator

SERVICES: dict[str, ModuleType] = {
    "sampler": sampler,
    "generator": generator,
    "stitcher": stitcher,
    "validator": validator,
    "judge": judge,
    "sink": sink,
}
