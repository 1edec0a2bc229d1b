"""The scenario catalog: multi-field scenarios shipped with the project, loaded into MongoDB.

A catalog file (YAML or JSON) is ``{version: N, scenarios: [...]}``; a file of user
scenarios may also be a bare list or a single scenario. Every scenario is validated against
`CatalogScenario`; errors name the scenario and the field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from longweave.prompts import prompts_root

# The method deliberately grounds scenarios outside the United States (paper 2509.01185).
EXCLUDED_COUNTRIES = frozenset({
    "united states", "united states of america", "usa", "us", "u.s.", "u.s.a.", "america",
})
Text = Field(min_length=1, max_length=600)


class Geography(BaseModel):
    model_config = ConfigDict(extra="forbid")
    country: str = Field(min_length=2, max_length=80)
    city: str = Field(min_length=1, max_length=80)
    locale: str = Field(pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?-[A-Z]{2}$|^[a-z]{2,3}-[0-9]{3}$")
    language: str = Field(min_length=2, max_length=60)
    regulatory_notes: str = Field("", max_length=600)

    @field_validator("country")
    @classmethod
    def _outside_the_united_states(cls, country: str) -> str:
        if country.strip().casefold() in EXCLUDED_COUNTRIES:
            raise ValueError("scenarios are deliberately set outside the United States")
        return country


class CatalogScenario(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    scenario_id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$", max_length=120)
    domain: str = Field(min_length=2, max_length=60)
    business_scenario: str = Text
    guidance: str = Text
    geography: Geography
    tone: str = Field(min_length=2, max_length=60)
    # "register" would shadow a BaseModel attribute; the catalog and the store say "register".
    language_register: str = Field(alias="register", min_length=2, max_length=60)
    user_persona: str = Field(min_length=2, max_length=300)
    assistant_persona: str = Field(min_length=2, max_length=300)
    audience: str = Field(min_length=2, max_length=120)
    document_type: str = Field(min_length=2, max_length=80)
    # Variants the sampler may use instead of `user_persona` / `tone`, so one base scenario
    # yields several distinct field combinations.
    alt_user_personas: list[str] = Field(default_factory=list, max_length=10)
    alt_tones: list[str] = Field(default_factory=list, max_length=10)

    @field_validator("alt_user_personas", "alt_tones")
    @classmethod
    def _non_empty_distinct(cls, values: list[str]) -> list[str]:
        if any(not v.strip() for v in values):
            raise ValueError("variants must be non-empty")
        if len(set(values)) != len(values):
            raise ValueError("variants must be distinct")
        return values

    def user_personas(self) -> list[str]:
        return [self.user_persona, *(p for p in self.alt_user_personas if p != self.user_persona)]

    def tones(self) -> list[str]:
        return [self.tone, *(t for t in self.alt_tones if t != self.tone)]


# The stored document of a scenario carries these besides the scenario's own fields.
STORE_ONLY_KEYS = ("_id", "source", "catalog_version")
SCENARIO_KEYS = tuple(CatalogScenario.model_fields[n].alias or n
                      for n in CatalogScenario.model_fields)


class CatalogError(ValueError):
    """A catalog or scenario file that does not meet the contract; the message says where."""


def default_catalog_path() -> Path:
    return prompts_root() / "scenarios" / "catalog.yaml"


def read_document(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise CatalogError(f"{path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}"
                           f": {exc}") from exc


def catalog_version(path: Path | None = None) -> int:
    data = read_document(path or default_catalog_path())
    return int(data.get("version", 0)) if isinstance(data, dict) else 0


def validate_scenarios(items: Any, where: str = "scenarios") -> list[dict[str, Any]]:
    """Validate raw scenario mappings; raise one CatalogError listing every problem."""
    if not isinstance(items, list):
        raise CatalogError(f"{where}: expected a list of scenarios, got {type(items).__name__}")
    problems: list[str] = []
    scenarios: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, item in enumerate(items, start=1):
        label = f"scenario #{number}"
        if isinstance(item, dict) and isinstance(item.get("scenario_id"), str):
            label += f" ({item['scenario_id']})"
        try:
            scenario = CatalogScenario.model_validate(item)
        except ValidationError as exc:
            problems += [f"{label}: {_where(err)}: {err['msg']}" for err in exc.errors()]
            continue
        if scenario.scenario_id in seen:
            problems.append(f"{label}: scenario_id repeats scenario #{seen[scenario.scenario_id]}")
            continue
        seen[scenario.scenario_id] = number
        scenarios.append(scenario.model_dump(by_alias=True))
    if problems:
        shown = problems[:50]
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise CatalogError(f"{where}: {len(problems)} problem(s):\n  " + "\n  ".join(shown) + more)
    return scenarios


def load_catalog(path: Path | None = None) -> list[dict[str, Any]]:
    """The shipped (or given) catalog: ``{version: N, scenarios: [...]}``."""
    path = path or default_catalog_path()
    data = read_document(path)
    if not isinstance(data, dict) or "scenarios" not in data:
        raise CatalogError(f"{path}: a catalog is a mapping with 'version' and 'scenarios'")
    return validate_scenarios(data["scenarios"], str(path))


def load_scenario_file(path: Path) -> list[dict[str, Any]]:
    """User scenarios: a catalog-shaped file, a list of scenarios, or one scenario."""
    data = read_document(path)
    if isinstance(data, dict) and "scenarios" in data:
        data = data["scenarios"]
    elif isinstance(data, dict):
        data = [data]
    return validate_scenarios(data, str(path))


def scenario_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored scenario document without the store's own keys."""
    return {k: v for k, v in doc.items() if k in SCENARIO_KEYS}


def dump_catalog(scenarios: list[dict[str, Any]], version: int) -> str:
    """A catalog file's text (YAML), e.g. for `longweave scenarios export`."""
    body = yaml.safe_dump(
        {"version": version, "scenarios": [scenario_fields(s) for s in scenarios]},
        allow_unicode=True, sort_keys=False, width=100,
    )
    return "# longweave scenario catalog (exported)\n" + body


def _where(err: Any) -> str:
    return ".".join(str(p) for p in err["loc"]) or "<scenario>"
