"""The ops endpoint over real TCP: /metrics, /healthz and unknown paths."""

import httpx

from longweave.observability import OpsEndpoint, ServiceMetrics


async def serve(healthy: bool):
    metrics = ServiceMetrics("generator")
    metrics.llm_requests.labels("generator", "ok").inc(3)

    async def health() -> bool:
        return healthy

    endpoint = OpsEndpoint(metrics, health, "127.0.0.1", 0)
    await endpoint.start()
    return endpoint


async def test_metrics_and_health_are_served():
    endpoint = await serve(healthy=True)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{endpoint.port}") as http:
            metrics = await http.get("/metrics")
            assert metrics.status_code == 200
            assert 'longweave_llm_requests_total{outcome="ok",role="generator"} 3.0' in metrics.text
            assert (await http.get("/healthz")).status_code == 200
            assert (await http.get("/nope")).status_code == 404
    finally:
        await endpoint.stop()


async def test_unhealthy_is_503():
    endpoint = await serve(healthy=False)
    try:
        async with httpx.AsyncClient() as http:
            response = await http.get(f"http://127.0.0.1:{endpoint.port}/healthz")
        assert response.status_code == 503
    finally:
        await endpoint.stop()
