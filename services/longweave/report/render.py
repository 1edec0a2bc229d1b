"""The report page: the report's JSON laid out as tables (one column per run) around its
images (`report.charts`), rendered from ``templates/report.html.j2`` with Jinja2
(autoescaped: record texts and reasons are data, never markup). The page is one file:
inline CSS, images as data URIs, no script. Pure: report in, HTML out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from longweave.report.charts import paradigm_sections, section_chart_key
from longweave.report.figures import FUNNEL_STAGES

TEMPLATES = Path(__file__).parent / "templates"

Row = tuple[str, list[str]]


def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}%}"


def num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _of(run: Mapping[str, Any], *path: str) -> Any:
    value: Any = run
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def headline_rows(runs: Sequence[Mapping[str, Any]]) -> list[Row]:
    axes = sorted({a for r in runs for a in r["headline"]["judge_means"]})
    rows: list[Row] = [
        ("paradigm", [str(r["paradigm"]) + (f" ({r['strategy']})" if r.get("strategy")
                                           else "") for r in runs]),
        ("status", [str(r.get("status") or "–") for r in runs]),
        ("accepted / requested", [f"{r['headline']['accepted']:,} / "
                                  f"{r['headline']['requested']:,}" for r in runs]),
        ("yield", [pct(r["headline"]["yield"]) for r in runs]),
        ("distinct-2", [num(r["headline"]["distinct_2"], 3) for r in runs]),
    ]
    rows += [(f"mean judge score: {a} (accepted)",
              [num(r["headline"]["judge_means"].get(a)) for r in runs]) for a in axes]
    rows += [
        ("tokens per accepted record", [num(r["headline"]["tokens_per_accepted"], 0)
                                        for r in runs]),
        ("cost per accepted record (USD)", [num(_of(r, "cost", "per_accepted", "cost_usd"), 4)
                                            for r in runs]),
        ("wall time per accepted record (s)", [num(_of(r, "cost", "per_accepted",
                                                       "wall_seconds"), 1) for r in runs]),
    ]
    return rows


def funnel_rows(runs: Sequence[Mapping[str, Any]]) -> list[Row]:
    rows: list[Row] = []
    for stage in (*FUNNEL_STAGES, "in_flight"):
        rows.append((stage.replace("_", "-"), [
            f"{r['funnel'][stage]:,}" + (f" ({pct(r['funnel'][stage] / r['funnel']['requested'])})"
                                         if r["funnel"]["requested"] and stage != "requested"
                                         else "") for r in runs]))
    labels = {"drafts": "drafts (attempts)", "validated": "drafts validated",
              "passed_checks": "drafts passing the rule checks",
              "rejected_by_checks": "drafts rejected by the rule checks",
              "judged": "drafts judged", "passed_judge": "drafts passing the judge",
              "rejected_by_judge": "drafts rejected by the judge"}
    rows += [(label, [f"{r['drafts'][key]:,}" for r in runs]) for key, label in labels.items()]
    return rows


def rejection_rows(runs: Sequence[Mapping[str, Any]]) -> tuple[list[Row], list[Row],
                                                                  list[Row]]:
    checks = sorted({c for r in runs for c in r["rejections"]["by_check"]})
    by_check: list[Row] = [(c, [
        f"{r['rejections']['by_check'][c]['drafts']:,} "
        f"({pct(r['rejections']['by_check'][c]['rate'])})"
        if c in r["rejections"]["by_check"] else "0" for r in runs]) for c in checks]
    by_check.append(("duplicate rate (near_duplicate)",
                     [pct(r["rejections"]["duplicate_rate"]) for r in runs]))
    axes = sorted({a for r in runs for a in r["rejections"]["by_axis"]})
    by_axis: list[Row] = [(a, [
        f"{r['rejections']['by_axis'][a]['drafts']:,} "
        f"({pct(r['rejections']['by_axis'][a]['rate'])})"
        if a in r["rejections"]["by_axis"] else "0" for r in runs]) for a in axes]
    stages = sorted({s for r in runs for s in r["rejections"]["by_stage"]})
    by_stage: list[Row] = [(s, [f"{r['rejections']['by_stage'].get(s, 0):,}" for r in runs])
                           for s in stages]
    return by_check, by_axis, by_stage


def rounds_rows(runs: Sequence[Mapping[str, Any]]) -> list[Row]:
    attempts = sorted({int(a) for r in runs for o in r["regeneration"]["by_outcome"].values()
                       for a in o})
    rows: list[Row] = []
    for outcome in ("accepted", "dead_lettered", "stopped"):
        for a in attempts:
            cells = [r["regeneration"]["by_outcome"][outcome].get(str(a), 0) for r in runs]
            if any(cells):
                rows.append((f"{outcome.replace('_', '-')} after {a} attempt(s)",
                             [f"{c:,}" for c in cells]))
    rows.append(("samples regenerated at least once",
                 [f"{r['regeneration']['regenerated_samples']:,}" for r in runs]))
    rows.append(("mean attempts per accepted record",
                 [num(r["regeneration"]["mean_attempts_per_accepted"]) for r in runs]))
    return rows


def judge_rows(runs: Sequence[Mapping[str, Any]]) -> list[Row]:
    axes = sorted({a for r in runs for a in r["judge_scores"]})
    rows: list[Row] = []
    for a in axes:
        def cell(r: Mapping[str, Any], axis: str = a) -> str:
            s = r["judge_scores"].get(axis)
            if not s:
                return "–"
            return (f"mean {num(s['mean'])} · passed {pct(s['pass_rate'])} · "
                    f"n {s['n']:,} · accepted {num(s['accepted_mean'])}")
        rows.append((a, [cell(r) for r in runs]))
    return rows


def length_rows(runs: Sequence[Mapping[str, Any]]) -> list[Row]:
    def window(r: Mapping[str, Any]) -> str:
        w = r["lengths"]["window"]
        more = f" (+{r['lengths']['windows'] - 1} other)" if r["lengths"]["windows"] > 1 else ""
        return f"{w[0]:,}–{w[1]:,}{more}" if w else "–"

    return [
        ("measure", [str(r["lengths"]["measure"]) for r in runs]),
        ("target window (tokens)", [window(r) for r in runs]),
        ("records inside the window", [pct(r["lengths"]["inside_share"]) for r in runs]),
        ("records below / above", [f"{num(r['lengths']['below'])} / "
                                   f"{num(r['lengths']['above'])}" for r in runs]),
        ("mean record length", [num(r["lengths"]["mean"], 0) for r in runs]),
    ]


def diversity_rows(runs: Sequence[Mapping[str, Any]]) -> list[Row]:
    def sim(r: Mapping[str, Any], key: str) -> str:
        return num(_of(r, "diversity", "similarity", key), 3)

    return [
        ("records", [f"{r['diversity']['texts']:,}" for r in runs]),
        ("distinct-1", [num(r["diversity"]["distinct_1"], 3) for r in runs]),
        ("distinct-2", [num(r["diversity"]["distinct_2"], 3) for r in runs]),
        ("distinct-3", [num(r["diversity"]["distinct_3"], 3) for r in runs]),
        ("self-BLEU (0–100, lower is more diverse)",
         [f"{num(r['diversity']['self_bleu']['value'])} over "
          f"{r['diversity']['self_bleu']['texts']} records" for r in runs]),
        ("records embedded", [num(_of(r, "diversity", "similarity", "records")) for r in runs]),
        ("cosine similarity: mean", [sim(r, "mean") for r in runs]),
        ("cosine similarity: median", [sim(r, "median") for r in runs]),
        ("cosine similarity: 95th percentile", [sim(r, "p95") for r in runs]),
        ("cosine similarity: most similar pair", [sim(r, "max") for r in runs]),
    ]


def coverage_rows(runs: Sequence[Mapping[str, Any]], dimension: str) -> list[Row]:
    values = list(dict.fromkeys(v for r in runs for v in r["coverage"].get(dimension, {})))

    def cell(r: Mapping[str, Any], value: str) -> str:
        c = r["coverage"].get(dimension, {}).get(value)
        return f"{c['accepted']:,} / {c['sampled']:,}" if c else "–"

    return [(v, [cell(r, v) for r in runs]) for v in values]


def cost_rows(runs: Sequence[Mapping[str, Any]]) -> list[Row]:
    rows: list[Row] = [
        ("LLM calls", [num(r["cost"]["calls"]) for r in runs]),
        ("prompt tokens", [num(r["cost"]["prompt_tokens"]) for r in runs]),
        ("completion tokens", [num(r["cost"]["completion_tokens"]) for r in runs]),
        ("cost (USD)", [num(r["cost"]["cost_usd"], 4) for r in runs]),
        ("LLM time (s, summed over calls)", [num(r["cost"]["llm_seconds"], 1) for r in runs]),
        ("wall time (s)", [num(r["cost"]["wall_seconds"], 1) for r in runs]),
        ("tokens per accepted record", [num(r["cost"]["per_accepted"]["tokens"], 0)
                                        for r in runs]),
        ("cost per accepted record (USD)", [num(r["cost"]["per_accepted"]["cost_usd"], 4)
                                            for r in runs]),
        ("LLM time per accepted record (s)", [num(r["cost"]["per_accepted"]["llm_seconds"], 1)
                                              for r in runs]),
        ("wall time per accepted record (s)",
         [num(r["cost"]["per_accepted"]["wall_seconds"], 1) for r in runs]),
    ]
    purposes = sorted({p for r in runs for p in r["cost"]["by_purpose"]})
    for p in purposes:
        rows.append((f"{p}: calls · tokens", [
            f"{num(_of(r, 'cost', 'by_purpose', p, 'calls'))} · "
            f"{num(_of(r, 'cost', 'by_purpose', p, 'tokens'))}" for r in runs]))
    return rows


def section_views(runs: Sequence[Mapping[str, Any]], charts: Mapping[str, str]
                  ) -> list[dict[str, Any]]:
    """Each paradigm section (by title): its notes, a table with a column per run that
    has it, and its charts."""
    views = []
    for title, sections in paradigm_sections(runs).items():
        names = list(dict.fromkeys(n for _, s in sections for n in s["numbers"]))
        rows: list[Row] = []
        for name in names:
            cells = []
            for _, s in sections:
                value = s["numbers"].get(name)
                is_share = isinstance(value, float) and ("rate" in name or "share" in name
                                                         or "located" in name
                                                         or "following" in name
                                                         or "where" in name)
                cells.append(pct(value) if is_share else num(value, 3))
            rows.append((name, cells))
        images = [(name, charts[key]) for kind in ("counts", "distributions")
                  for name in dict.fromkeys(n for _, s in sections for n in s[kind])
                  if (key := section_chart_key(title, kind, name)) in charts]
        views.append({"title": title, "labels": [label for label, _ in sections],
                      "notes": list(dict.fromkeys(n for _, s in sections for n in s["notes"])),
                      "rows": rows, "images": images})
    return views


def environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(
        enabled_extensions=("html", "j2"), default_for_string=True, default=True),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_html(report: Mapping[str, Any], charts: Mapping[str, str]) -> str:
    runs = report["runs"]
    by_check, by_axis, by_stage = rejection_rows(runs)
    return environment().get_template("report.html.j2").render(
        report=report, runs=runs, labels=[str(r["label"]) for r in runs], charts=charts,
        headline=headline_rows(runs), funnel=funnel_rows(runs), by_check=by_check,
        by_axis=by_axis, by_stage=by_stage, rounds=rounds_rows(runs), judge=judge_rows(runs),
        lengths=length_rows(runs), diversity=diversity_rows(runs),
        coverage={d: coverage_rows(runs, d) for d in ("domain", "country", "tone",
                                                      "operator")},
        cost=cost_rows(runs), sections=section_views(runs, charts), pct=pct, num=num)
