"""Deleting what the mesh has consumed from its hop topics, as Kafka Streams purges its
repartition topics.

Each hop between two services (`Topics.hops`) is read by one consumer group, and a record
below that group's committed offset has had its effect stored in MongoDB. Keeping it only
costs the broker: the local one (noida-db) spent ten times the CPU per request once it held
twenty runs' messages. So every `LONGWEAVE_KAFKA_PURGE_INTERVAL_S` the process deletes
(DeleteRecords) the records below the offsets its subscribers have committed. The topics
users write or read (the requests, the dead letters) are never purged. Set the interval to
0 when something outside the mesh also consumes the hop topics.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.records_to_delete import RecordsToDelete
from aiokafka.errors import KafkaError

from longweave.kafka_security import kafka_client_options
from longweave.settings import Settings

log = logging.getLogger(__name__)


class PurgeQueue:
    """The highest committed offset of each hop partition not purged yet (pure logic)."""

    def __init__(self, topics: set[str]) -> None:
        self._topics = topics
        self._offsets: dict[TopicPartition, int] = {}

    def committed(self, offsets: dict[TopicPartition, int]) -> None:
        for tp, offset in offsets.items():
            if tp.topic in self._topics and offset > self._offsets.get(tp, -1):
                self._offsets[tp] = offset

    def take(self) -> dict[TopicPartition, int]:
        taken, self._offsets = self._offsets, {}
        return taken

    def put_back(self, offsets: dict[TopicPartition, int]) -> None:
        """Offsets whose purge failed, to try again (unless a later commit moved them)."""
        self.committed(offsets)


class ConsumedRecordsPurger:
    """Purges the committed part of the hop topics every `interval_s` (0: never)."""

    def __init__(self, settings: Settings, topics: set[str], interval_s: float) -> None:
        self._settings = settings
        self.queue = PurgeQueue(topics)
        self._interval_s = interval_s
        self._admin: AIOKafkaAdminClient | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        return self._interval_s > 0

    def start(self) -> None:
        if self.enabled and self._task is None:
            self._task = asyncio.create_task(self._every_interval(), name="purge-consumed")

    async def stop(self) -> None:
        """Stop the timer and purge what the subscribers' last commits released."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.enabled:
            await self.purge()
        if self._admin is not None:
            await self._admin.close()
            self._admin = None

    async def purge(self) -> int:
        """Delete the records below the queued offsets; returns the partitions purged."""
        offsets = self.queue.take()
        if not offsets:
            return 0
        try:
            if self._admin is None:
                admin = AIOKafkaAdminClient(bootstrap_servers=self._settings.kafka_bootstrap,
                                            **kafka_client_options(self._settings))
                try:
                    await admin.start()
                except BaseException:
                    await admin.close()
                    raise
                self._admin = admin
            await self._admin.delete_records(
                {tp: RecordsToDelete(before_offset=o) for tp, o in offsets.items()},
                timeout_ms=10_000)
        except (KafkaError, OSError, TimeoutError) as exc:  # a hiccup, or no Delete ACL
            log.warning("purging consumed records of %d partitions failed: %s",
                        len(offsets), exc)
            self.queue.put_back(offsets)
            return 0
        return len(offsets)

    async def _every_interval(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            await self.purge()
