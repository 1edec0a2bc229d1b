"""Fixtures shared by the integration tests (the servers come from tests/conftest.py)."""

import uuid
from collections.abc import AsyncIterator

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
