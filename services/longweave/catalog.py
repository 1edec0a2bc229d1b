"""The scenario catalog: multi-field scenarios shipped with the project, loaded into MongoDB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from longweave.prompts import prompts_root


class Geography(BaseModel):
    model_config = ConfigDict(extra="forbid")
    country: str
    city: str
    locale: str
    language: str
    regulatory_notes: str = ""


class CatalogScenario(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    scenario_id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")
    domain: str
    business_scenario: str
    guidance: str
    geography: Geography
    tone: str
    # "register" would shadow a BaseModel attribute; the catalog and the store say "register".
    language_register: str = Field(alias="register")
    user_persona: str
    assistant_persona: str
    audience: str
    document_type: str


def default_catalog_path() -> Path:
    return prompts_root() / "scenarios" / "catalog.yaml"


def load_catalog(path: Path | None = None) -> list[dict[str, Any]]:
    data = yaml.safe_load((path or default_catalog_path()).read_text(encoding="utf-8"))
    return [CatalogScenario.model_validate(s).model_dump(by_alias=True) for s in data["scenarios"]]
