"""The alert rules and dashboards: promtool checks the rules and runs their unit tests
(every alert firing and not firing), the Prometheus Operator's copy holds the same groups,
every alert has its runbook; the dashboard files are what longweave.dashboards builds; and
every query of either parses (promql-parser) and reads only metrics the services export."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from longweave import dashboards
from longweave.observability import ServiceMetrics
from support.tools import promtool

MONITORING = Path(__file__).resolve().parents[2] / "k8s" / "components" / "monitoring"
RULES = MONITORING / "longweave.rules.yaml"
README = Path(__file__).resolve().parents[2] / "k8s" / "README.md"


def run_promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *args], capture_output=True, text=True, timeout=120,
                          cwd=MONITORING)


def alerts() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"]
            for rule in group["rules"] if "alert" in rule]


def test_promtool_accepts_the_rules():
    result = run_promtool("check", "rules", RULES.name)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_fires_and_stays_quiet_in_the_rules_unit_tests():
    tests = MONITORING / "tests" / "longweave.rules.test.yaml"
    result = run_promtool("test", "rules", str(tests.relative_to(MONITORING)))
    assert result.returncode == 0, result.stdout + result.stderr
    cases = yaml.safe_load(tests.read_text())["tests"]
    checked = [(c["alertname"], bool(c["exp_alerts"])) for case in cases
               for c in case.get("alert_rule_test", [])]
    for rule in alerts():
        assert (rule["alert"], True) in checked, f"{rule['alert']} never fires in a test"
    quiet = {name for name, fires in checked if not fires}
    assert len(quiet) >= len(alerts()) - 2  # most have a case where they must not fire


def test_the_operator_resource_holds_the_same_groups():
    resource = yaml.safe_load((MONITORING / "prometheusrule.yaml").read_text())
    assert resource["spec"]["groups"] == yaml.safe_load(RULES.read_text())["groups"], (
        "copy the groups of longweave.rules.yaml into prometheusrule.yaml")


def test_every_alert_has_a_runbook_section():
    headings = {line.removeprefix("### ").strip().lower()
                for line in README.read_text().splitlines() if line.startswith("### ")}
    for rule in alerts():
        anchor = rule["annotations"]["runbook"].split("#", 1)[1]
        assert anchor == rule["alert"].lower() and anchor in headings, rule["alert"]


def exported_metrics() -> set[str]:
    """The series names the services' registries expose (counters carry _total, histograms
    _bucket, _count and _sum), and Prometheus's own per-target ``up``."""
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"),
                "gauge": ("",)}
    return {"up"} | {metric.name + suffix
                     for metric in ServiceMetrics("generator").registry.collect()
                     for suffix in suffixes[metric.type]}


def metric_names(node: Any) -> set[str]:
    """The metric names a parsed PromQL expression selects."""
    if type(node).__name__ == "VectorSelector":
        return {node.name}
    found: set[str] = set()
    for attr in ("lhs", "rhs", "expr", "param", "vector_selector"):
        child = getattr(node, attr, None)
        if child is not None and not isinstance(child, (str, int, float)):
            found |= metric_names(child)
    for arg in getattr(node, "args", None) or []:
        found |= metric_names(arg)
    return found


def dashboard_queries() -> list[tuple[str, str]]:
    return [(f"{name}: {panel['title']}", target["expr"])
            for name, build in dashboards.DASHBOARDS.items()
            for panel in build()["panels"] for target in panel["targets"]]


def test_the_rules_read_only_metrics_the_services_export():
    exported = exported_metrics()
    for rule in alerts():
        used = metric_names(promql_parser.parse(rule["expr"]))
        assert used and used <= exported, (rule["alert"], used - exported)


@pytest.mark.parametrize(("where", "expr"), dashboard_queries())
def test_every_dashboard_query_parses_and_reads_exported_metrics(where, expr):
    used = metric_names(promql_parser.parse(expr))  # raises on a syntax error
    assert used and used <= exported_metrics(), (where, used - exported_metrics())


def test_the_dashboard_files_are_what_the_generator_builds():
    for name, build in dashboards.DASHBOARDS.items():
        path = dashboards.OUT / name
        assert path.read_text() == dashboards.render(build), (
            f"{path} is stale: run `python -m longweave.dashboards`")
        panels = json.loads(path.read_text())["panels"]
        assert len({p["id"] for p in panels}) == len(panels)


def test_the_dashboards_cover_what_an_operator_watches():
    queries = " ".join(expr for _, expr in dashboard_queries())
    # Outcome rates per paradigm, and replicas per service (the scrape's container label).
    assert "sum by (paradigm, outcome) (rate(longweave_samples_total" in queries
    assert "count by (container) (longweave_up)" in queries
    for metric in ("longweave_consumer_lag", "longweave_samples_total",
                   "longweave_sample_seconds_bucket", "longweave_handler_seconds_bucket",
                   "longweave_llm_errors_total", "longweave_llm_concurrency_limit",
                   "longweave_llm_tokens_total", "longweave_llm_cost_usd_total",
                   "longweave_llm_cache_hits_total", "longweave_up",
                   "longweave_budget_used_ratio"):
        assert metric in queries, metric
