"""The scenario database in MongoDB: load the shipped catalog, add user scenarios, list and
export what the sampler draws from (`longweave scenarios ...` uses these)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from longweave.catalog import (
    CatalogError,
    catalog_version,
    default_catalog_path,
    dump_catalog,
    load_catalog,
    load_scenario_file,
    scenario_fields,
)
from longweave.sampler.fields import matches, variants_of
from longweave.store import Store


async def load_scenarios(store: Store, path: Path | None = None) -> tuple[int, int, int]:
    """Load the shipped catalog (or a catalog file) idempotently: (loaded, retired, version)."""
    path = path or default_catalog_path()
    version = catalog_version(path)
    loaded, retired = await store.load_catalog_scenarios(load_catalog(path), version)
    return loaded, retired, version


async def add_scenarios(store: Store, path: Path) -> list[str]:
    """Validate a file of user scenarios and upsert them; returns their ids. Ids of shipped
    scenarios are refused: the sampler reloads the catalog at start and would undo them."""
    scenarios = load_scenario_file(path)
    ids = [s["scenario_id"] for s in scenarios]
    shipped = {s["scenario_id"] for s in load_catalog()}
    sources = await store.scenario_sources(ids)
    taken = sorted(i for i in ids if i in shipped or sources.get(i) == "catalog")
    if taken:
        raise CatalogError(f"{path}: scenario ids already used by the shipped catalog: "
                           f"{', '.join(taken)} (choose new ids)")
    await store.upsert_user_scenarios(scenarios)
    return ids


async def list_scenarios(store: Store, filters: Mapping[str, str | list[str]] | None = None
                         ) -> list[dict[str, Any]]:
    """Stored scenarios (with their `source`) having a variant that passes `filters`."""
    docs = await store.find_scenarios({})
    return [doc for doc in docs
            if not filters or any(matches(v, filters) for v in variants_of(scenario_fields(doc)))]


async def export_scenarios(store: Store) -> str:
    """Every stored scenario as a catalog file (YAML) that `scenarios load`/`add` accept."""
    docs = await store.find_scenarios({})
    version = max((d.get("catalog_version", 0) for d in docs), default=0)
    return dump_catalog([scenario_fields(d) for d in docs], version)
