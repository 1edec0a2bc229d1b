"""The ops endpoint over real TCP: /metrics, /healthz (liveness), /readyz (readiness) and
unknown paths."""

import httpx
from faststream.kafka import KafkaBroker, KafkaRouter, TestKafkaBroker
from pymongo import monitoring

from longweave.observability import (
    OpsEndpoint,
    ServiceMetrics,
    StoreOperationCounter,
    counting_store_operations,
    store_operations_middleware,
)


async def serve(healthy: bool):
    metrics = ServiceMetrics("generator")
    metrics.llm_requests.labels("generator", "ok").inc(3)

    async def health() -> bool:
        return healthy

    endpoint = OpsEndpoint(metrics, health, "127.0.0.1", 0)
    await endpoint.start()
    return endpoint


async def test_metrics_liveness_and_readiness_are_served():
    endpoint = await serve(healthy=True)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{endpoint.port}") as http:
            metrics = await http.get("/metrics")
            assert metrics.status_code == 200
            assert 'longweave_llm_requests_total{outcome="ok",role="generator"} 3.0' in metrics.text
            assert (await http.get("/healthz")).status_code == 200
            assert (await http.get("/readyz")).status_code == 200
            assert (await http.get("/nope")).status_code == 404
    finally:
        await endpoint.stop()


async def test_unreachable_dependencies_make_it_unready_but_alive():
    endpoint = await serve(healthy=False)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{endpoint.port}") as http:
            ready = await http.get("/readyz")
            assert ready.status_code == 503 and ready.json() == {"status": "unavailable"}
            assert (await http.get("/healthz")).status_code == 200
    finally:
        await endpoint.stop()


async def test_a_draining_service_is_unready():
    endpoint = await serve(healthy=True)
    endpoint.draining = True
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{endpoint.port}") as http:
            ready = await http.get("/readyz")
            assert ready.status_code == 503 and ready.json() == {"status": "draining"}
            assert (await http.get("/healthz")).status_code == 200
    finally:
        await endpoint.stop()


def started(command: dict) -> monitoring.CommandStartedEvent:
    return monitoring.CommandStartedEvent(command, "longweave", 1, ("127.0.0.1", 27017), 1)


def store_operations(metrics: ServiceMetrics, operation: str, collection: str) -> float:
    return metrics.registry.get_sample_value(
        "longweave_store_operations_total",
        {"operation": operation, "collection": collection}) or 0.0


def test_a_store_command_counts_once_for_the_service_that_issued_it():
    sink, judge = ServiceMetrics("sink"), ServiceMetrics("judge")
    counter = StoreOperationCounter()
    counter.started(started({"find": "samples"}))  # outside any service: the CLI, a test
    with counting_store_operations(sink):
        counter.started(started({"find": "samples", "filter": {"_id": "s"}}))
        counter.started(started({"getMore": 12, "collection": "samples"}))
        with counting_store_operations(judge):
            counter.started(started({"update": "drafts", "updates": []}))
        counter.started(started({"ping": 1}))
    assert store_operations(sink, "find", "samples") == 1
    assert store_operations(sink, "getMore", "samples") == 1
    assert store_operations(sink, "ping", "") == 1
    assert store_operations(sink, "update", "drafts") == 0
    assert store_operations(judge, "update", "drafts") == 1


async def test_a_handler_counts_its_store_commands_for_its_service():
    metrics = ServiceMetrics("sink")
    router = KafkaRouter()
    router.insert_middleware(store_operations_middleware(metrics))

    @router.subscriber("in")
    async def handle(body: str) -> None:
        StoreOperationCounter().started(started({"insert": "records"}))

    broker = KafkaBroker()
    broker.include_router(router)
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish("a", topic="in")
    assert store_operations(metrics, "insert", "records") == 1


async def test_a_health_check_counts_its_store_commands_for_its_service():
    metrics = ServiceMetrics("judge")

    async def health() -> bool:
        StoreOperationCounter().started(started({"ping": 1}))
        return True

    endpoint = OpsEndpoint(metrics, health, "127.0.0.1", 0)
    await endpoint.start()
    try:
        async with httpx.AsyncClient() as http:
            await http.get(f"http://127.0.0.1:{endpoint.port}/readyz")
    finally:
        await endpoint.stop()
    assert store_operations(metrics, "ping", "") == 1


def test_the_lag_gauge_follows_the_owned_partitions():
    from aiokafka import TopicPartition

    metrics = ServiceMetrics("judge")
    report = metrics.lag_reporter("t.validated")

    def lags() -> dict[str, float]:
        return {s.labels["partition"]: s.value for m in metrics.registry.collect()
                if m.name == "longweave_consumer_lag" for s in m.samples}

    report({TopicPartition("t.validated", 0): 5, TopicPartition("t.validated", 1): 7})
    assert lags() == {"0": 5, "1": 7}
    report({TopicPartition("t.validated", 1): 2})  # partition 0 went to another process
    assert lags() == {"1": 2}


def test_labels_stay_bounded_and_sample_outcomes_carry_their_paradigm():
    from prometheus_client.metrics import MetricWrapperBase

    metrics = ServiceMetrics("sink")
    families = {m._name: m._labelnames for m in vars(metrics).values()
                if isinstance(m, MetricWrapperBase)}
    assert families["longweave_samples"] == ("outcome", "paradigm")
    assert families["longweave_budget_used_ratio"] == ()  # one number per process
    unbounded = {"run", "run_id", "sample", "sample_id", "draft_id", "request_id"}
    assert all(unbounded.isdisjoint(names) for names in families.values()), families
