"""Install the tests-only toy paradigm (``tests/plugins/toy_paradigm``) the way a user's
package would be: a ``.dist-info`` with entry points, found on the Python path."""

from __future__ import annotations

from pathlib import Path

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"

ENTRY_POINTS = """\
[longweave.paradigms]
toy_facts = toy_paradigm:paradigm
toy_digest = toy_paradigm:digest

[longweave.checks]
distinct_facts = toy_paradigm:distinct_facts
"""


def install_toy_paradigm(site: Path) -> list[Path]:
    """Write the toy package's distribution metadata into `site`; returns the folders to put
    on the Python path (the metadata's and the package's)."""
    info = site / "toy_paradigm-0.1.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-paradigm\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    return [site, PLUGINS]
