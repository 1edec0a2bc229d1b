"""Topic names, in one place. Every name carries the configurable prefix."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Topics:
    scenario_requests: str
    scenarios: str
    segment_tasks: str
    segments: str
    stitched: str
    validated: str
    accepted: str
    regeneration: str
    dead_letter: str

    @classmethod
    def with_prefix(cls, prefix: str) -> Topics:
        return cls(**{f.name: f"{prefix}.{f.name.replace('_', '-')}" for f in fields(cls)})

    def all(self) -> list[str]:
        return [getattr(self, f.name) for f in fields(self)]

    def hops(self) -> list[str]:
        """The topics between two services: what users write (the requests) and read (the
        dead letters) left out. Each is read by one consumer group (kafka_purge.py)."""
        return [t for t in self.all() if t not in (self.scenario_requests, self.dead_letter)]
