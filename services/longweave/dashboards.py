"""Grafana dashboards as code: the mesh overview and the LLM gateway, built from the metrics
the services export. `python -m longweave.dashboards` writes them as JSON into
k8s/components/monitoring/dashboards/, where a ConfigMap labelled for Grafana's sidecar
carries them (tests/k8s checks the files against this module, and every query's PromQL and
metric names against the services' registries)."""

from __future__ import annotations

import json
import sys
from itertools import count
from pathlib import Path
from typing import Any

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
OUT = Path(__file__).resolve().parents[2] / "k8s" / "components" / "monitoring" / "dashboards"


def _panel(ids: count[int], title: str, queries: list[tuple[str, str]], unit: str = "short",
           x: int = 0, y: int = 0, width: int = 12, height: int = 8,
           description: str = "") -> dict[str, Any]:
    return {
        "id": next(ids), "type": "timeseries", "title": title, "description": description,
        "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": width, "h": height},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "table", "placement": "bottom"},
                    "tooltip": {"mode": "multi"}},
        "targets": [{"refId": chr(ord("A") + i), "datasource": DATASOURCE, "expr": expr,
                     "legendFormat": legend} for i, (expr, legend) in enumerate(queries)],
    }


def _dashboard(uid: str, title: str, panels: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "uid": uid, "title": title, "tags": ["longweave"], "timezone": "utc",
        "schemaVersion": 39, "version": 1, "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [{"name": "datasource", "type": "datasource",
                                 "query": "prometheus", "label": "Data source"}]},
        "panels": panels,
    }


def _grid(panels: list[tuple[str, list[tuple[str, str]], str, str]]) -> list[dict[str, Any]]:
    """Two panels a row, in the order given."""
    ids = count(1)
    return [_panel(ids, title, queries, unit, x=12 * (i % 2), y=8 * (i // 2),
                   description=description)
            for i, (title, queries, unit, description) in enumerate(panels)]


def _quantiles(metric: str, by: str) -> list[tuple[str, str]]:
    return [(f"histogram_quantile({q}, sum by (le, {by}) (rate({metric}_bucket[5m])))",
             f"p{int(q * 100)} {{{{{by}}}}}") for q in (0.5, 0.95)]


def mesh_overview() -> dict[str, Any]:
    return _dashboard("longweave-mesh", "longweave: mesh overview", _grid([
        ("Messages handled per second, by topic",
         [('sum by (topic) (rate(longweave_messages_total{outcome="ok"}[5m]))', "{{topic}}")],
         "ops", "Each stage's throughput: the topic a service consumes"),
        ("Consumer lag, by topic",
         [("sum by (topic) (longweave_consumer_lag)", "{{topic}}")], "short",
         "Messages not yet handled: high-water mark minus the offset safe to commit"),
        ("Samples finished per minute, by paradigm and outcome",
         [('sum by (paradigm, outcome) (rate(longweave_samples_total{outcome=~"accepted|'
           'dead_lettered|stopped"}[5m])) * 60', "{{paradigm}} {{outcome}}")], "short",
         "Accepted, dead-lettered and stopped samples"),
        ("Regenerations per minute, by paradigm and stage that asked",
         [('sum by (paradigm, outcome) (rate(longweave_samples_total{outcome=~"regenerate_.*"}'
           "[5m])) * 60", "{{paradigm}} {{outcome}}")], "short",
         "Drafts sent back by the validator or judge"),
        ("Accept, regenerate and dead-letter rates, by paradigm",
         [(f"sum by (paradigm) (rate(longweave_samples_total{{outcome={outcome}}}[30m]))"
           " / sum by (paradigm) (rate(longweave_samples_total"
           '{outcome=~"accepted|dead_lettered"}[30m]))', f"{legend} {{{{paradigm}}}}")
          for outcome, legend in (('"accepted"', "accepted"),
                                  ('~"regenerate_.*"', "regenerations"),
                                  ('"dead_lettered"', "dead-lettered"))], "percentunit",
         "Per finished sample (accepted or dead-lettered) over 30 minutes: the share accepted "
         "and dead-lettered, and regenerations asked per finished sample (may exceed 100%)"),
        ("Handler time per message (p50, p95), by topic",
         _quantiles("longweave_handler_seconds", "topic"), "s", "One stage's latency"),
        ("Creation to acceptance (p50, p95), by paradigm",
         _quantiles("longweave_sample_seconds", "paradigm"), "s",
         "End-to-end latency of accepted samples"),
        ("Rule-check failures per minute, by check",
         [("sum by (check) (rate(longweave_check_failures_total[5m])) * 60", "{{check}}")],
         "short", "Which checks send drafts back"),
        ("Judge rejections per minute, by axis",
         [("sum by (axis) (rate(longweave_judge_rejections_total[5m])) * 60", "{{axis}}")],
         "short", "Which rubric axes fail"),
        # The scrape labels each process with its container, named after its service
        # (the PodMonitor in the cluster, the local Prometheus alike).
        ("Replicas, by service",
         [("count by (container) (longweave_up)", "{{container}}"),
          ("count by (container) (longweave_up == 1)", "{{container}} consuming")], "short",
         "Processes Prometheus scrapes per service, and those consuming (longweave_up is 0 "
         "while one drains)"),
        ("Messages in flight and dead letters",
         [("sum by (topic) (longweave_messages_in_flight)", "in flight {{topic}}"),
          ("sum by (kind) (rate(longweave_dead_letters_total[5m])) * 60",
           "dead letters/min {{kind}}")], "short",
         "Work in progress per topic; dead letters by kind"),
    ]))


def llm_gateway() -> dict[str, Any]:
    return _dashboard("longweave-llm", "longweave: LLM gateway", _grid([
        ("Requests per second, by role and outcome",
         [("sum by (role, outcome) (rate(longweave_llm_requests_total[5m]))",
           "{{role}} {{outcome}}")], "reqps", "HTTP requests to the model endpoints"),
        ("Errors per minute, by class",
         [("sum by (error_class) (rate(longweave_llm_errors_total[5m])) * 60",
           "{{error_class}}")], "short", "Failed attempts (rate_limited is a 429)"),
        ("Retries per minute, by cause",
         [("sum by (cause) (rate(longweave_llm_retries_total[5m])) * 60", "{{cause}}")],
         "short", "Requests sent again"),
        ("Share of requests answered 429",
         [('sum by (role) (rate(longweave_llm_errors_total{error_class="rate_limited"}[5m]))'
           " / sum by (role) (rate(longweave_llm_requests_total[5m]))", "{{role}}")],
         "percentunit", "The endpoint's throttling"),
        ("Adaptive concurrency: limit and in flight, by role",
         [("sum by (role) (longweave_llm_concurrency_limit)", "limit {{role}}"),
          ("sum by (role) (longweave_llm_in_flight)", "in flight {{role}}")], "short",
         "The AIMD limit shrinks on 429s and grows back"),
        ("Call latency (p50, p95), by role",
         _quantiles("longweave_llm_request_seconds", "role"), "s",
         "All attempts and backoff; cache hits excluded"),
        ("Tokens per hour, by role, model and direction",
         [("sum by (role, model, direction) (increase(longweave_llm_tokens_total[1h]))",
           "{{role}} {{model}} {{direction}}")], "short", "Prompt and completion tokens"),
        ("Cost per hour (USD), by role and model",
         [("sum by (role, model) (increase(longweave_llm_cost_usd_total[1h]))",
           "{{role}} {{model}}")], "currencyUSD", "Estimated from LONGWEAVE_LLM_PRICES"),
        ("Response cache hit rate",
         [("sum(rate(longweave_llm_cache_hits_total[5m])) / (sum(rate("
           "longweave_llm_cache_hits_total[5m])) + sum(rate("
           "longweave_llm_cache_misses_total[5m])))", "hit rate")], "percentunit",
         "Near 1 while a restarted run replays its calls"),
        ("Seconds waiting for rate budgets, per minute",
         [("sum by (role) (rate(longweave_llm_throttle_seconds_total[5m])) * 60", "{{role}}")],
         "s", "Time calls waited for the requests/tokens-per-minute budgets"),
        ("Run budget used: the run nearest its limit, by service",
         [("max by (container) (longweave_budget_used_ratio)", "{{container}}")],
         "percentunit", "Highest share of its budget (max_tokens, max_cost_usd) a running "
         "run has used; the run stops at 100%. Which run: longweave status"),
    ]))


DASHBOARDS = {"longweave-mesh.json": mesh_overview, "longweave-llm.json": llm_gateway}


def render(build: Any) -> str:
    return json.dumps(build(), indent=2) + "\n"


def write(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in DASHBOARDS.items():
        (out / name).write_text(render(build))
        written.append(out / name)
    return written


if __name__ == "__main__":
    for path in write():
        print(path, file=sys.stderr)
