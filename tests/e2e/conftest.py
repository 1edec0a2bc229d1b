"""The mesh as users run it: `longweave serve all` in a subprocess, over real servers.

Every test gets its own topic prefix and database, so tests never see each other's runs.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from longweave.settings import SERVICE_NAMES
from support.mesh import Mesh, start_mesh_process


@pytest.fixture
def start_mesh(servers, tmp_path: Path) -> Iterator[Any]:
    meshes: list[Mesh] = []

    def start(llm_base_url: str | None = None, *, tag: str | None = None,
              services: tuple[str, ...] = SERVICE_NAMES, **extra_env: str) -> Mesh:
        mesh = start_mesh_process(servers.env(), tmp_path, llm_base_url, tag, services,
                                  **extra_env)
        meshes.append(mesh)
        return mesh

    yield start
    for mesh in meshes:
        mesh.stop()
