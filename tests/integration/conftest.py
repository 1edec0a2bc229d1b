"""Fixtures shared by the integration tests (the servers come from tests/conftest.py)."""

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from longweave.store import Store


@pytest.fixture
async def store(servers) -> AsyncIterator[Store]:
    """A store on a fresh database of the real MongoDB-wire server, dropped afterwards."""
    s = Store(servers.mongodb_uri, f"it_{uuid.uuid4().hex[:8]}")
    await s.ensure_indexes()
    yield s
    await s.client.drop_database(s.db.name)
    s.close()


@pytest.fixture
def longweave_cli(servers):
    """`python -m longweave ...` against the real servers, in a database of its own."""
    env = {**os.environ, **servers.env(), "LONGWEAVE_MONGODB_DB": f"cli_{uuid.uuid4().hex[:8]}",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(Path("services").resolve()),
                                                       os.environ.get("PYTHONPATH", "")]))}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "longweave", *args], env=env,
                              capture_output=True, text=True, timeout=120, check=False)

    return run
