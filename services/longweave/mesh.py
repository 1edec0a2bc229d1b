"""The mesh: the registry of services (name → module with ``build_router(ctx)`` and an
optional ``startup``), and the runner that serves any of them on one broker and store.
The top of the service layers: nothing under it imports this module."""

from __future__ import annotations

import asyncio
import logging
import signal
from types import ModuleType

from faststream.kafka import KafkaBroker

from longweave.generator import service as generator
from longweave.judge import service as judge
from longweave.kafka_admin import ensure_topics
from longweave.kafka_compat import pace_empty_fetches
from longweave.kafka_membership import use_static_membership
from longweave.kafka_purge import ConsumedRecordsPurger
from longweave.kafka_security import kafka_security
from longweave.llm.concurrency import ConcurrencyGate
from longweave.observability import OpsEndpoint, ServiceMetrics
from longweave.prompts import PromptLibrary
from longweave.runtime import ServiceContext
from longweave.sampler import service as sampler
from longweave.settings import Settings
from longweave.sink import service as sink
from longweave.stitcher import service as stitcher
from longweave.store import Store
from longweave.topics import Topics
from longweave.validator import service as validator

log = logging.getLogger(__name__)

SERVICES: dict[str, ModuleType] = {
    "sampler": sampler,
    "generator": generator,
    "stitcher": stitcher,
    "validator": validator,
    "judge": judge,
    "sink": sink,
}


def build_contexts(settings: Settings, names: list[str], store: Store,
                   purger: ConsumedRecordsPurger | None = None) -> list[ServiceContext]:
    topics = Topics.with_prefix(settings.topic_prefix)
    prompts = PromptLibrary()
    endpoint_gates: dict[tuple[str, int], ConcurrencyGate] = {}
    return [
        ServiceContext(name, settings, topics, store, prompts, ServiceMetrics(name),
                       endpoint_gates=endpoint_gates, purger=purger)
        for name in names
    ]


def build_broker(settings: Settings, contexts: list[ServiceContext]) -> KafkaBroker:
    broker = KafkaBroker(
        settings.kafka_bootstrap,
        enable_idempotence=True,
        acks="all",
        graceful_timeout=settings.handler_deadline_s,
        client_id="longweave",
        log_level=logging.DEBUG,  # per-message lines only when debugging
        security=kafka_security(settings),  # None (PLAINTEXT) unless the settings ask
    )
    if settings.kafka_instance_id:
        use_static_membership(broker, settings.kafka_instance_id)
    for ctx in contexts:
        broker.include_router(SERVICES[ctx.name].build_router(ctx))
    return broker


async def serve(settings: Settings, names: list[str], stop: asyncio.Event | None = None) -> None:
    """Run the named services until SIGTERM/SIGINT (or `stop` is set), then drain and exit."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    pace_empty_fetches(settings.kafka_idle_fetch_interval_ms / 1000)
    topics = Topics.with_prefix(settings.topic_prefix)
    await ensure_topics(settings, topics)
    store = Store(settings.mongodb_uri, settings.mongodb_db,
                  batch_linger_s=settings.store_batch_linger_ms / 1000)
    await store.ensure_indexes()
    purger = ConsumedRecordsPurger(settings, set(topics.hops()),
                                   settings.kafka_purge_interval_s)
    contexts = build_contexts(settings, names, store, purger)
    broker = build_broker(settings, contexts)

    async def ready() -> bool:
        return bool(await broker.ping(timeout=3.0)) and await store.ping()

    endpoints = []
    for ctx in contexts:
        startup = getattr(SERVICES[ctx.name], "startup", None)
        if startup is not None:
            await startup(ctx)
        endpoint = OpsEndpoint(ctx.metrics, ready, settings.metrics_host,
                               settings.ports.of(ctx.name))
        await endpoint.start()
        endpoints.append(endpoint)
    await broker.start()
    purger.start()
    for ctx in contexts:
        ctx.metrics.up.set(1)
    log.info("serving %s (metrics on ports %s)", ", ".join(names),
             ", ".join(str(e.port) for e in endpoints))
    try:
        await stop.wait()
    finally:
        log.info("stopping: draining in-flight messages")
        for ctx in contexts:
            ctx.metrics.up.set(0)
        for endpoint in endpoints:
            endpoint.draining = True  # out of the Service's endpoints while it drains
        # All subscribers drain at once (the broker would stop them one after another), so
        # a shutdown takes at most one LONGWEAVE_DRAIN_TIMEOUT_S.
        await asyncio.gather(*(subscriber.stop() for subscriber in broker.subscribers))
        await purger.stop()  # after the subscribers' last commits
        await broker.stop()
        for endpoint in endpoints:
            await endpoint.stop()
        for ctx in contexts:
            await ctx.aclose()
        store.close()
        log.info("stopped")
