"""longweave: an event-driven mesh for synthetic long-context training data."""

__version__ = "0.1.0"
