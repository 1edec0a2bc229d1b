"""The report's figures as static PNG images (matplotlib, Agg; no pyplot state), drawn
from the report's JSON: one colour per run, runs overlaid or grouped in one plot. Pure:
figures in, PNG bytes (or data URIs) out.

`report_charts` gives every image of the HTML page; `compose_png` puts the main ones
(funnel, regeneration rounds, judge means, lengths against the window, similarity, domain
coverage) into one PNG, e.g. for a README."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display; set before anything draws

from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from longweave.report.figures import FUNNEL_STAGES, TERMINAL  # noqa: E402

COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")
DPI = 96
MAX_CATEGORIES = 15  # coverage and paradigm bar charts keep the most frequent ones


def colour(index: int) -> str:
    return COLOURS[index % len(COLOURS)]


def png(draw: Callable[[Figure], None], size: tuple[float, float] = (7.0, 3.6)) -> bytes:
    figure = Figure(figsize=size, dpi=DPI, layout="constrained")
    draw(figure)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def data_uri(image: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(image).decode("ascii")


def _no_data(ax: Axes, title: str) -> None:
    ax.set_title(title)
    ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes,
            color="#777777")
    ax.set_xticks([])
    ax.set_yticks([])


def _labels(runs: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(r["label"]) for r in runs]


def _legend(ax: Axes, runs: Sequence[Mapping[str, Any]]) -> None:
    if len(runs) > 1 and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, frameon=False)


# -- what each plot draws ----------------------------------------------------------------


def draw_funnel(ax: Axes, runs: Sequence[Mapping[str, Any]]) -> None:
    stages = list(FUNNEL_STAGES)
    height = 0.8 / len(runs)
    for i, run in enumerate(runs):
        values = [run["funnel"].get(s, 0) for s in stages]
        positions = [k + i * height - 0.4 + height / 2 for k in range(len(stages))]
        bars = ax.barh(positions, values, height=height, color=colour(i), label=run["label"])
        ax.bar_label(bars, fontsize=7, padding=2)
    ax.set_yticks(range(len(stages)), [s.replace("_", "-") for s in stages])
    ax.invert_yaxis()
    ax.set_xlabel("samples")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Yield funnel")
    _legend(ax, runs)


def draw_rounds(ax: Axes, runs: Sequence[Mapping[str, Any]]) -> None:
    attempts = sorted({int(a) for r in runs for outcome in r["regeneration"]["by_outcome"]
                       .values() for a in outcome}) or [1]
    width = 0.8 / len(runs)
    hatches = {"accepted": "", "dead_lettered": "//", "stopped": ".."}
    for i, run in enumerate(runs):
        xs = [a + i * width - 0.4 + width / 2 for a in attempts]
        bottom = [0] * len(attempts)
        for outcome in TERMINAL:
            counts = run["regeneration"]["by_outcome"].get(outcome, {})
            values = [counts.get(str(a), 0) for a in attempts]
            if not any(values):
                continue
            ax.bar(xs, values, width=width, bottom=bottom, color=colour(i),
                   alpha=1.0 if outcome == "accepted" else 0.45, hatch=hatches[outcome],
                   edgecolor="white", label=f"{run['label']}: {outcome.replace('_', '-')}")
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_xticks(attempts)
    ax.set_xlabel("attempts used")
    ax.set_ylabel("samples")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Regeneration rounds per sample")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, frameon=False)


def draw_judge_axis(ax: Axes, runs: Sequence[Mapping[str, Any]], axis: str) -> None:
    width = 0.8 / len(runs)
    for i, run in enumerate(runs):
        scores = run["judge_scores"].get(axis)
        if not scores or not scores["n"]:
            continue
        shares = [scores["counts"][str(s)] / scores["n"] for s in range(1, 6)]
        ax.bar([s + i * width - 0.4 + width / 2 for s in range(1, 6)], shares, width=width,
               color=colour(i), alpha=0.85, label=run["label"])
    ax.set_xticks(range(1, 6))
    ax.set_ylim(0, 1)
    ax.set_title(axis, fontsize=9)
    ax.set_xlabel("score", fontsize=8)
    ax.set_ylabel("share of judged drafts", fontsize=8)
    _legend(ax, runs)


def draw_judge_means(ax: Axes, runs: Sequence[Mapping[str, Any]]) -> None:
    axes = sorted({a for r in runs for a in r["judge_scores"]})
    if not axes:
        _no_data(ax, "Judge: mean score per axis")
        return
    width = 0.8 / len(runs)
    for i, run in enumerate(runs):
        means = [run["judge_scores"].get(a, {}).get("mean") or 0.0 for a in axes]
        ax.bar([k + i * width - 0.4 + width / 2 for k in range(len(axes))], means,
               width=width, color=colour(i), label=run["label"])
    ax.set_xticks(range(len(axes)), axes, rotation=20, ha="right", fontsize=8)
    ax.set_ylim(0, 5)
    ax.set_ylabel("mean score (judged drafts)")
    ax.set_title("Judge: mean score per axis")
    _legend(ax, runs)


def _histogram(ax: Axes, series: Sequence[tuple[str, Sequence[float], str]],
               bins: int | Sequence[float] = 20, density: bool = False,
               span: Sequence[float] = ()) -> bool:
    """Overlaid step histograms; `span`: values the bins must reach too (a window)."""
    values = [v for _, vs, _ in series for v in vs]
    if not values:
        return False
    if isinstance(bins, int):
        low, high = min([*values, *span]), max([*values, *span])
        if low == high:
            low, high = low - 0.5, high + 0.5
        edges: Sequence[float] = [low + (high - low) * k / bins for k in range(bins + 1)]
    else:
        edges = bins
    for label, vs, shade in series:
        if vs:
            ax.hist(list(vs), bins=list(edges), histtype="stepfilled", alpha=0.35,
                    color=shade, density=density)
            ax.hist(list(vs), bins=list(edges), histtype="step", linewidth=1.5,
                    color=shade, label=label, density=density)
    return True


def draw_lengths(ax: Axes, runs: Sequence[Mapping[str, Any]]) -> None:
    series = [(str(r["label"]), r["lengths"]["records"], colour(i)) for i, r in enumerate(runs)]
    windows = {tuple(r["lengths"]["window"]) for r in runs if r["lengths"]["window"]}
    if not _histogram(ax, series, span=[v for w in windows for v in w]):
        _no_data(ax, "Record length")
        return
    for low, high in windows:
        ax.axvspan(low, high, color="#2ca02c", alpha=0.12, zorder=0)
        ax.axvline(low, color="#2ca02c", linestyle="--", linewidth=1)
        ax.axvline(high, color="#2ca02c", linestyle="--", linewidth=1)
    ax.set_xlabel("tokens" + (" (shaded: target window)" if windows else ""))
    ax.set_ylabel("records")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Record length against the target window")
    _legend(ax, runs)


def draw_similarity(ax: Axes, runs: Sequence[Mapping[str, Any]]) -> None:
    """Each run's similarity histogram as a density, overlaid."""
    title = "Embedding cosine similarity between records"
    drawn, lowest = False, 1.0
    for i, run in enumerate(runs):
        histogram = (run["diversity"].get("similarity") or {}).get("histogram")
        if not histogram or not sum(histogram["counts"]):
            continue
        counts, edges = histogram["counts"], histogram["edges"]
        width = edges[1] - edges[0]
        density = [c / (sum(counts) * width) for c in counts]
        ax.stairs(density, edges, fill=True, alpha=0.35, color=colour(i))
        ax.stairs(density, edges, linewidth=1.5, color=colour(i), label=run["label"])
        lowest = min(lowest, edges[next(k for k, c in enumerate(counts) if c)])
        drawn = True
    if not drawn:
        _no_data(ax, title)
        return
    ax.set_xlim(max(-1.0, lowest - 0.05), 1.0)
    ax.set_xlabel("cosine similarity of a pair of records")
    ax.set_ylabel("density")
    ax.set_title(title)
    _legend(ax, runs)


def draw_coverage(ax: Axes, runs: Sequence[Mapping[str, Any]], dimension: str) -> None:
    totals: dict[str, int] = {}
    for run in runs:
        for value, c in run["coverage"].get(dimension, {}).items():
            totals[value] = totals.get(value, 0) + c["sampled"]
    values = sorted(totals, key=lambda v: (-totals[v], v))[:MAX_CATEGORIES]
    title = f"Coverage by {dimension}"
    if not values:
        _no_data(ax, title)
        return
    height = 0.8 / len(runs)
    for i, run in enumerate(runs):
        counts = run["coverage"].get(dimension, {})
        ys = [k + i * height - 0.4 + height / 2 for k in range(len(values))]
        ax.barh(ys, [counts.get(v, {}).get("sampled", 0) for v in values], height=height,
                color=colour(i), alpha=0.25)
        ax.barh(ys, [counts.get(v, {}).get("accepted", 0) for v in values], height=height,
                color=colour(i), label=run["label"])
    ax.set_yticks(range(len(values)), values, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("samples (light: sampled, dark: accepted)", fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title)
    _legend(ax, runs)


def draw_counts(ax: Axes, series: Sequence[tuple[str, Mapping[str, int]]], title: str) -> None:
    totals: dict[str, int] = {}
    for _, counts in series:
        for key, n in counts.items():
            totals[key] = totals.get(key, 0) + n
    keys = list(dict.fromkeys(k for _, counts in series for k in counts))
    keys = sorted(keys, key=lambda k: -totals[k])[:MAX_CATEGORIES] \
        if len(keys) > MAX_CATEGORIES else keys
    if not keys:
        _no_data(ax, title)
        return
    width = 0.8 / len(series)
    for i, (label, counts) in enumerate(series):
        ax.bar([k + i * width - 0.4 + width / 2 for k in range(len(keys))],
               [counts.get(k, 0) for k in keys], width=width, color=colour(i), label=label)
    ax.set_xticks(range(len(keys)), keys, rotation=20 if len(keys) > 4 else 0,
                  ha="right" if len(keys) > 4 else "center", fontsize=8)
    ax.set_title(title, fontsize=10)
    if len(series) > 1:
        ax.legend(fontsize=7, frameon=False)


def draw_distribution(ax: Axes, series: Sequence[tuple[str, Sequence[float]]],
                      title: str) -> None:
    if not _histogram(ax, [(label, values, colour(i))
                           for i, (label, values) in enumerate(series)]):
        _no_data(ax, title)
        return
    ax.set_title(title, fontsize=10)
    if len(series) > 1:
        ax.legend(fontsize=7, frameon=False)


# -- the page's images, and one composed PNG ---------------------------------------------


def _grid(count: int, columns: int) -> tuple[int, int]:
    return (count + columns - 1) // columns, min(count, columns)


def report_charts(report: Mapping[str, Any]) -> dict[str, str]:
    """Every image of the report page, by name, as data URIs."""
    runs = report["runs"]
    charts = {
        "funnel": png(lambda f: draw_funnel(f.subplots(), runs),
                      (7.0, 2.4 + 0.35 * len(runs))),
        "rounds": png(lambda f: draw_rounds(f.subplots(), runs)),
        "lengths": png(lambda f: draw_lengths(f.subplots(), runs)),
        "similarity": png(lambda f: draw_similarity(f.subplots(), runs)),
    }
    axes = sorted({a for r in runs for a in r["judge_scores"]})
    if axes:
        rows, columns = _grid(len(axes), 3)

        def judge(figure: Figure) -> None:
            grid = figure.subplots(rows, columns, squeeze=False)
            for k, cell in enumerate(grid.flat):
                if k < len(axes):
                    draw_judge_axis(cell, runs, axes[k])
                else:
                    cell.set_visible(False)

        charts["judge"] = png(judge, (9.0, 2.6 * rows))
    for dimension in ("domain", "country", "tone", "operator"):
        values = {v for r in runs for v in r["coverage"].get(dimension, {})}
        charts[f"coverage_{dimension}"] = png(
            lambda f, d=dimension: draw_coverage(f.subplots(), runs, d),
            (7.0, 1.2 + 0.25 * min(len(values), MAX_CATEGORIES) * max(1, len(runs))))
    for title, sections in paradigm_sections(runs).items():
        for name in dict.fromkeys(n for _, s in sections for n in s["counts"]):
            series = [(label, s["counts"][name]) for label, s in sections
                      if name in s["counts"]]
            charts[section_chart_key(title, "counts", name)] = png(
                lambda f, srs=series, n=name: draw_counts(f.subplots(), srs, n), (6.0, 3.0))
        for name in dict.fromkeys(n for _, s in sections for n in s["distributions"]):
            dist = [(label, s["distributions"][name]) for label, s in sections
                    if name in s["distributions"]]
            charts[section_chart_key(title, "distributions", name)] = png(
                lambda f, srs=dist, n=name: draw_distribution(f.subplots(), srs, n),
                (6.0, 3.0))
    return {name: data_uri(image) for name, image in charts.items()}


def paradigm_sections(runs: Sequence[Mapping[str, Any]]
                      ) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """The runs' paradigm sections by title: [(run label, section)]."""
    out: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for run in runs:
        section = run.get("paradigm_section")
        if section:
            out.setdefault(section["title"], []).append((str(run["label"]), section))
    return out


def section_chart_key(title: str, kind: str, name: str) -> str:
    return f"section|{title}|{kind}|{name}"


def compose_png(report: Mapping[str, Any]) -> bytes:
    """The report's main figures in one PNG (2 × 3 panels)."""
    runs = report["runs"]

    def draw(figure: Figure) -> None:
        grid = figure.subplots(2, 3)
        draw_funnel(grid[0][0], runs)
        draw_rounds(grid[0][1], runs)
        draw_judge_means(grid[0][2], runs)
        draw_lengths(grid[1][0], runs)
        draw_similarity(grid[1][1], runs)
        draw_coverage(grid[1][2], runs, "domain")
        figure.suptitle(str(report.get("title") or "longweave report"))

    return png(draw, (16.0, 8.5))
