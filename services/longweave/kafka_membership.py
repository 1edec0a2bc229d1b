"""Static group membership (KIP-345) for the mesh's consumers, when
``LONGWEAVE_KAFKA_INSTANCE_ID`` is set.

Every consumer gets a group instance id derived from that name, its group and its place
among the group's consumers in this process — the same ids after a restart, so a restarted
process takes over its predecessor's partitions at once. Without it a consumer killed
without leaving (SIGKILL, OOM, a lost node) holds its partitions until the broker expires it:
`session.timeout.ms` on Kafka, and never on the local stack's broker (noida-db), where a
killed mesh could otherwise not resume at all.

The name must be stable across restarts and unique per process (a StatefulSet pod name).
A static member does not leave its group on shutdown: a process retired for good keeps its
partitions until the session timeout (on the local broker, until its name is used again).

On the local broker (noida-db 0.2.3) give every process sharing a group its own name: a
commit made during a rebalance there fails, aiokafka then rejoins under a new member id,
and the broker never evicts the old one; a static member is recognised by its name instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from faststream.kafka import KafkaBroker


def use_static_membership(broker: KafkaBroker, instance_id: str) -> None:
    """Give every consumer `broker` builds a stable group instance id."""
    config = broker.config.broker_config
    connect = config.connect

    async def connect_with_instance_ids(**connection_kwargs: Any) -> None:
        await connect(**connection_kwargs)  # (re)creates the consumer builder
        config.builder = with_instance_ids(config.builder, instance_id)

    config.connect = connect_with_instance_ids  # type: ignore[method-assign]


def with_instance_ids(builder: Callable[..., Any], instance_id: str) -> Callable[..., Any]:
    """Wrap a consumer builder: the n-th consumer of group G is "<instance_id>.<G>.<n>".
    Consumers are built in a fixed order (subscribers in registration order, a subscriber's
    workers one after another), so n is the same in every run of the same code."""
    built: Counter[str] = Counter()

    def build(*args: Any, **kwargs: Any) -> Any:
        group_id = kwargs.get("group_id")
        if group_id:
            kwargs["group_instance_id"] = f"{instance_id}.{group_id}.{built[group_id]}"
            built[group_id] += 1
        return builder(*args, **kwargs)

    return build
