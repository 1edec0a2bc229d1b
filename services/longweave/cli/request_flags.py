"""The request flags of `publish` and the experiments, as request fields, and the names the
user typed for each request field, so an error names the flag and not the contract's path.
Pure: no click, no pydantic at import (the CLI starts fast)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Request field (dotted path) -> the flag that sets it.
FLAG_OF_FIELD = {
    "paradigm": "--paradigm", "count": "--count", "objective": "--objective",
    "max_attempts": "--max-attempts", "judge_min_score": "--judge-min-score",
    "seed": "--seed", "run_id": "--run-id", "complexity": "--complexity",
    "noise_transformations": "--noise", "scenario_fields": "--scenario-fields",
    "complexify_operators": "--operator", "filters": "--filter", "weights": "--weight",
    "cache": "--no-cache", "budget.max_tokens": "--budget-tokens",
    "budget.max_cost_usd": "--budget-usd", "params.segments": "--segments",
    "params.turns_per_segment": "--turns", "params.target_tokens": "--target-tokens",
    "params.length_tolerance": "--tolerance",
}


def split_pair(item: str, flag: str, form: str = "FIELD=VALUE") -> tuple[str, str]:
    """`NAME=VALUE` (the value may itself hold `=`)."""
    name, sep, value = item.partition("=")
    if not sep or not name:
        raise ValueError(f"{flag} wants {form}, got {item!r}")
    return name, value


def parse_weight(item: str) -> tuple[str, str, float]:
    """`FIELD=VALUE=WEIGHT` (the value may hold `=`; the weight is the last part)."""
    field, sep1, rest = item.partition("=")
    value, sep2, weight = rest.rpartition("=")
    try:
        number = float(weight)
    except ValueError:
        number = None
    if not (sep1 and sep2 and field and value) or number is None:
        raise ValueError(f"--weight wants FIELD=VALUE=WEIGHT, got {item!r}")
    return field, value, number


def filters_of(items: list[str]) -> dict[str, str | list[str]]:
    """FIELD=VALUE flags; a field given more than once keeps any of its values."""
    values: dict[str, list[str]] = {}
    for item in items:
        name, value = split_pair(item, "--filter")
        values.setdefault(name, []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in values.items()}


def request_fields(flags: dict[str, Any], file_fields: dict[str, Any] | None = None
                   ) -> dict[str, Any]:
    """The request's fields: `file_fields` (from --file), overridden by the flags given.
    `flags` holds the command's option values by their Python names (None: not given)."""
    import yaml  # --param values are YAML

    fields = dict(file_fields or {})
    plain = {"paradigm": "paradigm", "count": "count", "objective": "objective",
             "max_attempts": "max_attempts", "judge_min_score": "judge_min_score",
             "seed": "seed", "run_id": "run_id", "complexity": "complexity",
             "noise": "noise_transformations", "scenario_fields": "scenario_fields"}
    fields.update({field: flags[name] for name, field in plain.items()
                   if flags.get(name) is not None})
    if flags.get("operator"):
        fields["complexify_operators"] = list(flags["operator"])
    params = {"segments": flags.get("segments"), "turns_per_segment": flags.get("turns"),
              "target_tokens": flags.get("target_tokens"),
              "length_tolerance": flags.get("tolerance")}
    params = {k: v for k, v in params.items() if v is not None}
    for item in flags.get("param") or ():
        name, value = split_pair(item, "--param", "NAME=VALUE")
        params[name] = yaml.safe_load(value) if value else ""
    if params:
        fields["params"] = {**fields.get("params", {}), **params}
    if flags.get("no_cache"):
        fields["cache"] = False
    budget = {"max_tokens": flags.get("budget_tokens"),
              "max_cost_usd": flags.get("budget_usd")}
    if any(v is not None for v in budget.values()):
        fields["budget"] = {**fields.get("budget", {}),
                            **{k: v for k, v in budget.items() if v is not None}}
    if flags.get("filters"):
        fields["filters"] = {**fields.get("filters", {}), **filters_of(list(flags["filters"]))}
    for item in flags.get("weight") or ():
        field, value, number = parse_weight(item)
        fields.setdefault("weights", {}).setdefault(field, {})[value] = number
    return fields


def where_set(path: str, flags_given: set[str], file: Path | None) -> str:
    """How the user set a request field: its flag, or the field in their request file."""
    flag = FLAG_OF_FIELD.get(path)
    if flag is None and path.startswith("params."):
        flag = f"--param {path.removeprefix('params.')}"
    if flag is not None and (file is None or flag.split()[0] in flags_given):
        return flag
    return f"{path} in {file}" if file is not None else path
