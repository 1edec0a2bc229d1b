"""The `longweave` command line (see app.py)."""

from longweave.cli.app import cli, main

__all__ = ["cli", "main"]
