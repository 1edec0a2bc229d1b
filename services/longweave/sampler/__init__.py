"""Scenario sampler: turns a scenario request into one scenario message per sample."""
