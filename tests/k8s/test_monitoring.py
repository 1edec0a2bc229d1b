"""The alert rules: promtool checks them and runs their unit tests (every alert firing and
not firing), the Prometheus Operator's copy holds the same groups, every alert has its
runbook, and every metric a rule reads is one the services export."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

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


def test_the_rules_read_only_metrics_the_services_export():
    exported = {metric.name for metric in ServiceMetrics("generator").registry.collect()}
    exported |= {f"{name}_total" for name in exported}  # counters carry _total
    exported.add("up")  # Prometheus's own, per scrape target
    for rule in alerts():
        names = set(re.findall(r"\b([a-z_]+)(?=\{|\[| *[<>=!]|\))", rule["expr"]))
        used = {n for n in names if n.startswith("longweave_") or n == "up"}
        assert used, rule["alert"]
        assert used <= exported, (rule["alert"], used - exported)
