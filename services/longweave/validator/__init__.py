"""Validator: rule-based checks, registered per paradigm."""
