"""Test tools for longweave (not used by the product at run time)."""
