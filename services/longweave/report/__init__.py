"""``longweave report RUN...``: a self-contained HTML report of one run, or of several side
by side (one column per run, overlaid plots), plus the same numbers as JSON.

API (for the CLI and for experiments that compare runs)::

    from longweave.report import write_report

    path = await write_report(
        ["run-a", "run-b"],          # the runs, in column order
        Path("out/experiments/x"),   # out_dir (None: out/reports/<run id>[+<run id>…])
        store, settings,             # a longweave.store.Store and Settings
        title="clipper vs naive",    # None: "longweave report: …"
        arm_labels={"run-a": "clipper", "run-b": "naive"},  # column names (default: ids)
        png=Path("deploy/docs/report.png"),  # optional: the main figures in one PNG
        question="Does CLIPPER's compression help?",  # optional, shown under the title
        progress=stderr_progress,    # optional: one line per step (default: silent)
    )   # -> out_dir/report.html; out_dir/report.json beside it

`build_report` (same arguments, no out_dir/png) returns the JSON without writing;
`write_files(report, out_dir, png)` writes it; `compose_png(report)` gives the PNG bytes.

report.json: ``title``, ``question``, ``generated_at``, ``longweave_version``, ``run_ids``,
``arm_labels``, ``embedder`` (which embedder produced the similarities, why, its speed, or
why it was unavailable) and ``runs``: per run ``run_id``, ``label``, ``paradigm``,
``strategy``, ``status``, ``created_at``, ``request``, ``headline``, ``funnel``, ``drafts``,
``rejections``, ``regeneration``, ``judge_scores``, ``lengths``, ``diversity``,
``coverage``, ``cost`` and ``paradigm_section`` (the paradigm's own figures,
`Paradigm.report_section`, or null).

Modules: `figures` (pure: a run's figures from its documents), `diversity` (pure:
distinct-n, self-BLEU, lexical embeddings, similarity), `charts` (pure: matplotlib PNGs),
`render` (pure: the Jinja2 page), `collect` (MongoDB reads), `embeddings` (the embedding
endpoint or local llama.cpp server), `build` (the whole).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from longweave.report.build import (
        build_report,
        default_out_dir,
        stderr_progress,
        write_files,
        write_report,
    )
    from longweave.report.charts import compose_png

# Resolved on first use: `longweave.report.figures` (which exports import for the dataset
# card) stays free of the store, HTTP and matplotlib.
_EXPORTS = {
    "build_report": "longweave.report.build",
    "default_out_dir": "longweave.report.build",
    "stderr_progress": "longweave.report.build",
    "write_files": "longweave.report.build",
    "write_report": "longweave.report.build",
    "compose_png": "longweave.report.charts",
}

__all__ = [
    "build_report",
    "compose_png",
    "default_out_dir",
    "stderr_progress",
    "write_files",
    "write_report",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
