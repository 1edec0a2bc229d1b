"""What a record's provenance names: the package version, the contracts' schema version and
each shipped prompt's version (`longweave --version`)."""

from __future__ import annotations

from longweave import __version__


def prompt_versions() -> list[str]:
    """Every shipped template's recorded version (name@vN+<sha8>), sorted by name."""
    from longweave.prompts import PromptLibrary, prompts_root

    root = prompts_root()
    library = PromptLibrary(root)
    return [library.version(path.relative_to(root).as_posix())
            for path in sorted(root.rglob("*.j2"))]


def version_lines() -> list[str]:
    from longweave.contracts.messages import SCHEMA_VERSION

    return [f"longweave {__version__}", f"contracts schema version {SCHEMA_VERSION}",
            "prompts:", *(f"  {version}" for version in prompt_versions())]
