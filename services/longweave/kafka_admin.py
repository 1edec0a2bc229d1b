"""Topic creation at start-up: idempotent, with configurable partitions."""

from __future__ import annotations

import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from longweave.kafka_security import kafka_client_options
from longweave.settings import Settings
from longweave.topics import Topics

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = 36


async def ensure_topics(settings: Settings, topics: Topics) -> list[str]:
    """Create every missing topic; returns the names created now."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap,
                                **kafka_client_options(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in topics.all() if name not in existing]
        if not missing:
            return []
        response = await admin.create_topics(
            [NewTopic(n, settings.topic_partitions, settings.topic_replication) for n in missing]
        )
        created = []
        for name, code, message in _topic_errors(response):
            if code == 0:
                created.append(name)
            elif code != TOPIC_ALREADY_EXISTS:  # a concurrent start-up may have won the race
                raise RuntimeError(f"cannot create topic {name}: error {code} {message}")
        log.info("created topics: %s", ", ".join(created) or "none")
        return created
    finally:
        await admin.close()


def _topic_errors(response: object) -> list[tuple[str, int, str | None]]:
    rows = getattr(response, "topic_errors", [])
    return [(row[0], row[1], row[2] if len(row) > 2 else None) for row in rows]
