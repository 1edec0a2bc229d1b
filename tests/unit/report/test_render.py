"""The report page: tables with a column per run around the images, the embedder named
(or why there is none), texts escaped, nothing but inline data: no script, no URL."""

from bs4 import BeautifulSoup

from longweave.report.charts import report_charts
from longweave.report.figures import run_figures
from longweave.report.render import num, pct, render_html

EMBEDDER = {"kind": "lexical", "name": "hashed TF-IDF (lexical)", "why": "Asked for it.",
            "note": "Lexical, not semantic.", "model": None, "max_records": 48,
            "max_chars": 1200, "texts": 2, "tokens": None, "seconds": 0.5,
            "unavailable": None, "texts_per_second": 4.0, "tokens_per_second": None}


def report_of(runs, embedder=EMBEDDER, question=None):
    return {"title": "Two runs <b>", "question": question, "generated_at": "2026-01-01",
            "longweave_version": "0.1.0", "run_ids": [r["run_id"] for r in runs],
            "arm_labels": {}, "embedder": embedder, "runs": runs}


class AnyChart(dict):
    """Every chart the page asks for, as one tiny image (drawing them is test_charts')."""

    def __contains__(self, name):
        return True

    def __getitem__(self, name):
        return "data:image/png;base64,iVBORw0KGgo="


def page(report):
    return BeautifulSoup(render_html(report, AnyChart()), "html.parser")


def table_after(soup, section_id, first_header=""):
    for table in soup.select(f"section#{section_id} table"):
        if table.thead.th.get_text() == first_header:
            return {tr.th.get_text(): [td.get_text() for td in tr.find_all("td")]
                    for tr in table.tbody.find_all("tr")}
    raise AssertionError(f"no table headed {first_header!r} in #{section_id}")


def similar(figures, run_docs):
    ids = [r["sample_id"] for r in run_docs.records]
    figures["diversity"]["similarity"] = {
        "records": 2, "pairs": 1, "values": [0.25], "histogram": None, "mean": 0.25,
        "median": 0.25, "p95": 0.25, "max": 0.25,
        "nearest": [{"a": ids[0], "b": ids[1], "similarity": 0.25, "a_excerpt": "first",
                     "b_excerpt": "second"}]}
    return figures


def test_the_page_has_a_column_per_run_and_the_runs_numbers(run_docs):
    one = similar(run_figures(run_docs, "clipper"), run_docs)
    run_docs.samples[2]["stage"] = "accepted"
    two = similar(run_figures(run_docs, "naive"), run_docs)
    soup = page(report_of([one, two], question="Which is better?"))
    assert soup.title.get_text() == "Two runs <b>"
    assert soup.select_one("p.question").get_text() == "Which is better?"
    funnel = table_after(soup, "funnel", "stage")
    assert funnel["accepted"] == ["2 (50.0%)", "3 (75.0%)"]
    assert funnel["dead-lettered"] == ["1 (25.0%)", "0 (0.0%)"]
    assert funnel["drafts rejected by the rule checks"] == ["2", "2"]
    checks = table_after(soup, "rejections", "check")
    assert checks["token_window"] == ["2 (40.0%)", "2 (40.0%)"]
    assert table_after(soup, "rejections", "axis")["coherence"] == ["1 (33.3%)"] * 2
    headline = table_after(soup, "headline")
    assert headline["yield"] == ["50.0%", "75.0%"]
    assert headline["tokens per accepted record"] == ["498", "332"]
    assert [th.get_text() for th in soup.select("section#funnel thead th")] == \
        ["stage", "clipper", "naive"]
    diversity = soup.select_one("section#diversity").get_text(" ", strip=True)
    assert "Embedder: hashed TF-IDF (lexical)" in diversity
    assert "Asked for it." in diversity and "Lexical, not semantic." in diversity
    assert "clipper: the most similar pairs" in diversity


def test_the_page_is_self_contained_and_escapes_what_it_shows(run_docs):
    run_docs.samples[1]["history"][0]["reasons"] = ["token_window: <script>alert(1)</script>"]
    html = render_html(report_of([run_figures(run_docs)]),
                       report_charts(report_of([run_figures(run_docs)])))
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script") is None
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    images = soup.find_all("img")
    assert len(images) >= 8
    assert all(img["src"].startswith("data:image/png;base64,") for img in images)
    for tag, attribute in (("link", "href"), ("a", "href"), ("iframe", "src")):
        for element in soup.find_all(tag):
            assert element[attribute].startswith("#"), element
    policy = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert "default-src 'none'" in policy["content"]


def test_an_unavailable_embedder_is_said_with_its_reason(run_docs):
    figures = run_figures(run_docs)
    figures["diversity"]["similarity"] = {"unavailable": "connection refused"}
    soup = page(report_of([figures], {**EMBEDDER, "unavailable": "connection refused"}))
    text = soup.select_one("section#diversity").get_text(" ", strip=True)
    assert "Embedding similarity unavailable: connection refused" in text
    assert soup.find("img", alt="distribution of cosine similarity between records") is None
    assert soup.find("img", alt="yield funnel") is not None


def test_a_paradigm_section_gets_a_table_and_its_charts(run_docs):
    figures = run_figures(run_docs)
    figures["paradigm_section"] = {"title": "Evidence", "notes": ["Where it sits."],
                                   "numbers": {"quotes located": 0.5, "pairs": 4},
                                   "counts": {"position": {"beginning": 3, "end": 1}},
                                   "distributions": {}}
    report = report_of([figures])
    soup = BeautifulSoup(render_html(report, report_charts(report)), "html.parser")
    section = soup.select_one("section#section-1")
    assert section.h2.get_text() == "Evidence"
    rows = {tr.th.get_text(): [td.get_text() for td in tr.find_all("td")]
            for tr in section.tbody.find_all("tr")}
    assert rows == {"quotes located": ["50.0%"], "pairs": ["4"]}
    assert [img["alt"] for img in section.find_all("img")] == ["position"]


def test_numbers_and_shares_are_formatted_and_missing_ones_dashed():
    assert (pct(0.5), pct(None), num(1234), num(0.12345, 3), num(None)) == \
        ("50.0%", "–", "1,234", "0.123", "–")
