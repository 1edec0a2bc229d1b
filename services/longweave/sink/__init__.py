"""Sink: stores accepted records with full metadata, and dead letters with their reasons."""
