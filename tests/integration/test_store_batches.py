"""Merged store operations against the real MongoDB-wire server: concurrent finds by id and
writes become few commands, and each caller still gets its own document or error."""

import asyncio

import pytest
from pymongo import InsertOne, UpdateOne, monitoring
from pymongo.errors import DuplicateKeyError

from longweave.store import Store


class CommandNames(monitoring.CommandListener):
    def __init__(self) -> None:
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def watched(store, servers):
    """The test's store, on a client whose commands are listed."""
    commands = CommandNames()
    watched = Store(servers.mongodb_uri, store.db.name, listeners=[commands])
    yield watched, commands
    watched.close()


async def test_concurrent_finds_by_id_are_few_commands_and_each_caller_gets_its_own(watched):
    store, commands = watched
    await store.db.samples.insert_many([{"_id": f"s{i}", "n": i} for i in range(40)])
    commands.names.clear()
    wanted = [f"s{i}" for i in range(40)] + ["s3", "missing"]
    found = await asyncio.gather(*(store.batches("samples").find_by_id(i) for i in wanted))
    assert [d and d["n"] for d in found] == [*range(40), 3, None]
    # Gathered callers all queue before the batch's task first runs: one command.
    assert commands.names.count("find") == 1
    found[3]["n"] = "changed by its caller"
    assert found[40]["n"] == 3  # two callers of one document get two copies


async def test_concurrent_writes_are_few_commands_and_only_the_failing_one_fails(watched):
    store, commands = watched
    await store.db.runs.insert_one({"_id": "run-1", "accepted": 0})
    await store.db.samples.insert_one({"_id": "taken"})
    commands.names.clear()
    batches = store.batches("samples")
    outcomes = await asyncio.gather(
        *(batches.write(InsertOne({"_id": f"new{i}"})) for i in range(20)),
        batches.write(InsertOne({"_id": "taken", "again": True})),
        batches.write(UpdateOne({"_id": "new0"}, {"$set": {"seen": True}})),
        *(store.batches("runs").increment("run-1", {"accepted": 1}) for _ in range(10)),
        return_exceptions=True)
    assert all(o is None for o in outcomes[:20] + outcomes[21:])
    assert isinstance(outcomes[20], DuplicateKeyError)
    assert await store.db.samples.count_documents({}) == 21
    assert (await store.db.samples.find_one({"_id": "taken"})) == {"_id": "taken"}
    assert (await store.db.runs.find_one({"_id": "run-1"}))["accepted"] == 10
    # One batch per collection: the samples' inserts and update, the run's one `$inc`.
    assert (commands.names.count("insert"), commands.names.count("update")) == (1, 2)
    assert await batches.insert_once({"_id": "new1"}) is False
    assert await batches.insert_once({"_id": "new99"}) is True
