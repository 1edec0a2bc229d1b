"""Store settings that need no server (its queries are tested against real servers in
tests/integration)."""

import pytest

from longweave.store import Store


@pytest.mark.parametrize(("uri", "retried"), [
    ("mongodb://127.0.0.1:27017/?directConnection=true", False),
    ("mongodb://127.0.0.1:27017/?directConnection=true&retryWrites=true", True),
    ("mongodb://127.0.0.1:27017/?retrywrites=false", False),
])
async def test_retryable_writes_are_off_unless_the_uri_turns_them_on(uri, retried):
    store = Store(uri, "longweave")
    try:
        assert store.client.delegate.options.retry_writes is retried
    finally:
        store.close()
