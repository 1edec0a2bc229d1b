"""Putting a report together (wiring): read the runs, compute their figures, embed a
seeded sample of each run's records, and write report.json, report.html and (on request)
one PNG of the main figures. See the package's docstring for the API."""

from __future__ import annotations

import hashlib
import json
import math
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from longweave import __version__
from longweave.report.charts import compose_png, report_charts
from longweave.report.collect import read_drafts, read_run
from longweave.report.diversity import seeded_sample, similarity_figures
from longweave.report.embeddings import (
    EmbedderInfo,
    EmbeddingError,
    EmbeddingsOff,
    open_embedder,
)
from longweave.report.figures import (
    RunDocuments,
    attach_excerpts,
    example_draft_ids,
    excerpt,
    run_figures,
    texts_of,
    written_text,
)
from longweave.report.render import render_html
from longweave.settings import Settings
from longweave.store import Store

Progress = Callable[[str], None]
NEAREST_EXCERPT_CHARS = 300
REPORTS_DIR = Path("out/reports")


def stderr_progress(message: str) -> None:
    print(f"report: {message}", file=sys.stderr, flush=True)


def _quiet(message: str) -> None:
    pass


def default_out_dir(runs: list[str]) -> Path:
    """out/reports/<run id>, or for several runs out/reports/<id>+<id>… (a digest of them
    when that name would be too long)."""
    name = "+".join(runs)
    if len(name) > 120:
        name = f"compare-{len(runs)}-runs-{hashlib.sha256(name.encode()).hexdigest()[:12]}"
    return REPORTS_DIR / name


async def build_report(runs: list[str], store: Store, settings: Settings,
                       title: str | None = None, arm_labels: dict[str, str] | None = None,
                       progress: Progress = _quiet, question: str | None = None
                       ) -> dict[str, Any]:
    """The report's JSON for `runs` (in that order, one entry each in ``runs``);
    `question`: what the comparison asks (shown under the title)."""
    if not runs:
        raise ValueError("a report needs at least one run")
    labels = arm_labels or {}
    figures: list[dict[str, Any]] = []
    documents: list[RunDocuments] = []
    for run_id in runs:
        progress(f"reading {run_id}")
        docs = await read_run(store, run_id)
        progress(f"{run_id}: {len(docs.samples)} samples, {len(docs.drafts)} drafts, "
                 f"{len(docs.records)} records, {len(docs.llm_calls)} LLM calls; computing "
                 "figures")
        found = run_figures(docs, labels.get(run_id))
        await _attach_examples(store, docs, found)
        figures.append(found)
        documents.append(docs)
    embedder = await _similarities(documents, figures, settings, progress)
    return {
        "title": title or (f"longweave report: {runs[0]}" if len(runs) == 1
                           else f"longweave report: {len(runs)} runs side by side"),
        "question": question,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "longweave_version": __version__,
        "run_ids": list(runs),
        "arm_labels": labels,
        "embedder": embedder.to_json(),
        "runs": figures,
    }


async def _attach_examples(store: Store, docs: RunDocuments, figures: dict[str, Any]) -> None:
    """The rejection examples' excerpts, read from their drafts (with the sample's params)."""
    params = {s["_id"]: (s.get("spec") or {}) for s in docs.samples}
    texts = {}
    for draft in await read_drafts(store, example_draft_ids(figures)):
        spec = params.get(draft["sample_id"], {})
        texts[draft["_id"]] = written_text({**draft, "paradigm": spec.get("paradigm")},
                                           spec.get("params") or {})
    attach_excerpts(figures, texts)


async def _similarities(documents: list[RunDocuments], figures: list[dict[str, Any]],
                        settings: Settings, progress: Progress) -> EmbedderInfo:
    """Embed a seeded sample of each run's records (their openings) with the configured
    embedder, all runs at once; each run's figures get its similarity figures, or the
    reason there are none."""
    chosen: list[tuple[int, list[str], list[str]]] = []  # (run, sample ids, texts)
    for k, docs in enumerate(documents):
        texts = {i: t for i, t in texts_of(docs.records).items() if t.strip()}
        ids = list(texts)
        picked = [ids[i] for i in seeded_sample(ids, settings.embeddings_max_records,
                                                f"embeddings:{docs.run_id}")]
        if len(picked) < 2:  # no pair to compare
            figures[k]["diversity"]["similarity"] = {
                "records": len(picked), **similarity_figures([], [])}
            continue
        chosen.append((k, picked, [texts[i][:settings.embeddings_max_chars] for i in picked]))
    every_text = [t for _, _, texts in chosen for t in texts]
    if not every_text:  # nothing to start an embedder for
        return EmbedderInfo(kind="none", name="none", why="",
                            unavailable="no run has two accepted records to compare")
    try:
        async with open_embedder(settings, progress) as embedder:
            info = embedder.info
            progress(f"embedding {len(every_text)} texts with {info.name}")
            try:
                vectors = await embedder.embed(every_text, progress)
                _check_vectors(vectors, len(every_text))
            except (EmbeddingError, httpx.HTTPError, KeyError, ValueError, TypeError) as exc:
                info.unavailable = f"{type(exc).__name__}: {exc}"[:300]
                vectors = []
    except EmbeddingsOff as off:
        info, vectors = off.info, []
    if info.unavailable:
        progress(f"embedding similarity unavailable: {info.unavailable}")
    offset = 0
    for k, ids, texts in chosen:
        run = figures[k]
        if info.unavailable:
            run["diversity"]["similarity"] = {"unavailable": info.unavailable}
            continue
        own = vectors[offset:offset + len(ids)]
        offset += len(ids)
        similarity = similarity_figures(own, ids)
        by_id = dict(zip(ids, texts, strict=True))
        for pair in similarity["nearest"]:
            pair["a_excerpt"] = excerpt(by_id[pair["a"]], NEAREST_EXCERPT_CHARS)
            pair["b_excerpt"] = excerpt(by_id[pair["b"]], NEAREST_EXCERPT_CHARS)
        run["diversity"]["similarity"] = {"records": len(ids), **similarity}
    return info


def _check_vectors(vectors: list[list[float]], expected: int) -> None:
    if len(vectors) != expected:
        raise ValueError(f"{len(vectors)} embeddings for {expected} texts")
    for vector in vectors:
        if not vector or not all(math.isfinite(v) for v in vector):
            raise ValueError("an embedding is empty or not finite")


def write_files(report: dict[str, Any], out_dir: Path, png: Path | None = None,
                progress: Progress = _quiet) -> Path:
    """report.json and report.html in `out_dir` (each written whole, then renamed), and the
    composed PNG at `png`; returns the HTML's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    _write(out_dir / "report.json", json.dumps(report, indent=1, default=str,
                                               ensure_ascii=False).encode())
    progress("drawing the figures")
    html = render_html(report, report_charts(report))
    path = out_dir / "report.html"
    _write(path, html.encode())
    if png is not None:
        png.parent.mkdir(parents=True, exist_ok=True)
        _write(png, compose_png(report))
        progress(f"wrote {png}")
    progress(f"wrote {path} and {out_dir / 'report.json'}")
    return path


def _write(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".tmp")
    partial.write_bytes(data)
    partial.replace(path)


async def write_report(runs: list[str], out_dir: Path | None, store: Store,
                       settings: Settings, title: str | None = None,
                       arm_labels: dict[str, str] | None = None, *, png: Path | None = None,
                       question: str | None = None, progress: Progress = _quiet) -> Path:
    """Build the report of `runs` and write it to `out_dir` (default: `default_out_dir`);
    returns the path of report.html (report.json beside it). Each run remembers where its
    latest report is (`report_path`), for `longweave status`."""
    report = await build_report(runs, store, settings, title, arm_labels, progress,
                                question)
    path = write_files(report, out_dir or default_out_dir(runs), png, progress)
    for run_id in runs:
        await store.update_run(run_id, {"report_path": str(path.resolve())})
    return path
