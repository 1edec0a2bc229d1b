"""Putting the report together, the parts that need no server: where it goes by default,
and which records are embedded (a seeded sample, non-empty, two at least per run)."""

import copy
from pathlib import Path

from longweave.report.build import _similarities, default_out_dir
from longweave.report.figures import run_figures
from longweave.settings import Settings


def test_the_default_folder_is_named_after_the_runs():
    assert default_out_dir(["run-a"]) == Path("out/reports/run-a")
    assert default_out_dir(["run-a", "run-b"]) == Path("out/reports/run-a+run-b")
    many = default_out_dir([f"run-20260101-000000-{i:06x}" for i in range(9)])
    assert many.name.startswith("compare-9-runs-") and len(many.name) < 40


async def test_each_run_with_two_records_or_more_is_embedded_by_one_embedder(run_docs):
    lonely = copy.deepcopy(run_docs)
    lonely.records = lonely.records[:1]
    both, alone = run_figures(run_docs), run_figures(lonely)
    info = await _similarities([run_docs, lonely], [both, alone],
                               Settings(embeddings_backend="lexical"), lambda m: None)
    assert (info.kind, info.texts, info.unavailable) == ("lexical", 2, None)
    similarity = both["diversity"]["similarity"]
    assert (similarity["records"], similarity["pairs"]) == (2, 1)
    assert similarity["nearest"][0]["a_excerpt"].startswith("My invoice")
    assert alone["diversity"]["similarity"]["records"] == 1
    assert alone["diversity"]["similarity"]["pairs"] == 0


async def test_no_pair_to_compare_starts_no_embedder(run_docs):
    run_docs.records = run_docs.records[:1]
    figures = run_figures(run_docs)
    info = await _similarities([run_docs], [figures], Settings(embeddings_backend="local"),
                               lambda m: None)
    assert (info.kind, info.unavailable) == ("none",
                                             "no run has two accepted records to compare")
