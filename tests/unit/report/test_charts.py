"""The report's images: PNG data URIs for every figure of the page, one per paradigm
section chart, and one composed PNG of the main figures."""

import base64
import struct

from longweave.report.charts import compose_png, report_charts, section_chart_key
from longweave.report.diversity import hashed_tfidf, similarity_figures
from longweave.report.figures import run_figures

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(image: bytes) -> tuple[int, int]:
    assert image.startswith(PNG_SIGNATURE)
    return struct.unpack(">II", image[16:24])


def report_of(*runs):
    return {"title": "t", "runs": list(runs)}


def with_similarity(figures, records):
    texts = [r["messages"][1]["content"] for r in records]
    figures["diversity"]["similarity"] = {
        "records": len(texts),
        **similarity_figures(hashed_tfidf(texts), [r["sample_id"] for r in records])}
    return figures


def test_every_figure_of_the_page_is_a_png_data_uri(run_docs):
    one = with_similarity(run_figures(run_docs), run_docs.records)
    two = {**one, "label": "other", "paradigm_section": {
        "title": "Extra", "notes": [], "numbers": {}, "counts": {"kind": {"a": 2, "b": 1}},
        "distributions": {"ratio": [0.1, 0.2, 0.4]}}}
    charts = report_charts(report_of(one, two))
    assert {"funnel", "rounds", "lengths", "similarity", "judge", "coverage_domain",
            "coverage_country", "coverage_tone", "coverage_operator",
            section_chart_key("Extra", "counts", "kind"),
            section_chart_key("Extra", "distributions", "ratio"),
            *(section_chart_key(one["paradigm_section"]["title"], kind, name)
              for kind in ("counts", "distributions")
              for name in one["paradigm_section"][kind])} == set(charts)
    for uri in charts.values():
        prefix, _, data = uri.partition(",")
        assert prefix == "data:image/png;base64"
        width, height = png_size(base64.b64decode(data))
        assert width > 100 and height > 100


def test_a_run_without_records_or_judgments_still_draws(run_docs):
    run_docs.records, run_docs.drafts, run_docs.samples = [], [], []
    charts = report_charts(report_of(run_figures(run_docs)))
    assert "judge" not in charts and "funnel" in charts


def test_the_composed_png_holds_the_main_figures_in_one_image(run_docs):
    image = compose_png(report_of(with_similarity(run_figures(run_docs), run_docs.records)))
    assert png_size(image) == (1536, 816)
