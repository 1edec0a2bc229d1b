"""A handle on a running mesh (`longweave serve all` in a subprocess) for the tests."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from longweave.client import build_request, publish_request, run_status
from longweave.settings import SERVICE_NAMES, Settings
from longweave.stack import free_loopback_ports
from longweave.store import Store


@dataclass
class Mesh:
    settings: Settings
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log_path: Path
    tag: str = ""  # names its topic prefix (t<tag>) and database (lw_<tag>)
    services: tuple[str, ...] = SERVICE_NAMES  # those this process runs
    store: Store = field(init=False)

    def __post_init__(self) -> None:
        self.store = Store(self.settings.mongodb_uri, self.settings.mongodb_db)

    async def publish(self, **fields: Any) -> str:
        return await publish_request(self.settings, build_request(fields))

    async def wait(self, run_id: str, timeout_s: float, until: str = "complete"
                   ) -> dict[str, Any]:
        """Until the run is "complete" or, with ``until="finished"``, ended in any way
        (complete, cancelled, budget_stopped, failed)."""
        deadline = time.monotonic() + timeout_s
        while True:
            status = await run_status(self.store, run_id)
            if status[until]:
                return status
            if self.process.poll() is not None:
                raise AssertionError(f"the mesh died:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"run not complete after {timeout_s}s: {status}\n"
                                     f"{self.log_tail()}")
            await asyncio.sleep(0.5)

    def metrics(self, service: str) -> str:
        port = self.settings.ports.of(service)
        return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "longweave", *args], env=self.env,
                              capture_output=True, text=True, timeout=120)

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL the mesh process (every service in it): no draining, no clean exit."""
        self.process.kill()
        self.process.wait()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.store.close()
        return self.process.returncode


async def wait_for(predicate, timeout_s: float, what: str) -> None:
    """Until `predicate()` holds, checking every 50 ms; fails after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def metric_value(exposition: str, name: str, **labels: str) -> float:
    """Sum of the samples of `name` whose labels include `labels` (0 when absent)."""
    total = 0.0
    for line in exposition.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def start_mesh_process(servers_env: dict[str, str], workdir: Path,
                       llm_base_url: str | None = None, tag: str | None = None,
                       services: tuple[str, ...] = SERVICE_NAMES, **extra_env: str) -> Mesh:
    """Start `longweave serve all` (or just `services`) with its own topic prefix, database
    and ports; pass the `tag` of an earlier mesh to start over on its topics, consumer
    groups and database, or to add processes to it."""
    tag = tag or uuid.uuid4().hex[:8]
    ports = free_loopback_ports(len(SERVICE_NAMES))
    env = {**os.environ, **servers_env,
           "LONGWEAVE_TOPIC_PREFIX": f"t{tag}", "LONGWEAVE_MONGODB_DB": f"lw_{tag}",
           "LONGWEAVE_TOPIC_PARTITIONS": "3", "LONGWEAVE_METRICS_HOST": "127.0.0.1",
           **{f"LONGWEAVE_PORTS__{n.upper()}": str(p) for n, p in zip(SERVICE_NAMES, ports, strict=False)},
           **extra_env}
    if llm_base_url:
        env["LONGWEAVE_LLM_BASE_URL"] = llm_base_url
    settings = Settings(**_settings_from(env))
    log_path = workdir / f"mesh-{tag}.log"
    if log_path.exists():  # a restart on the same tag keeps the earlier log
        log_path = workdir / f"mesh-{tag}-{uuid.uuid4().hex[:4]}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "longweave", "serve", *services],
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
    mesh = Mesh(settings, env, process, log_path, tag, tuple(services))
    try:
        _wait_healthy(mesh)
    except BaseException:
        mesh.stop()
        raise
    return mesh


def _settings_from(env: dict[str, str]) -> dict[str, Any]:
    """Settings as the subprocess will read them from `env`."""
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        return Settings().model_dump()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _wait_healthy(mesh: Mesh, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    pending = set(mesh.services)
    while pending:
        if mesh.process.poll() is not None:
            raise AssertionError(f"the mesh exited at start-up:\n{mesh.log_tail()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"not healthy: {sorted(pending)}\n{mesh.log_tail()}")
        for name in sorted(pending):
            try:
                port = mesh.settings.ports.of(name)
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    pending.discard(name)
            except httpx.HTTPError:
                pass
        time.sleep(0.3)


def export_dataset(mesh: Mesh, run_id: str, tmp_path: Path, fmt: str, *flags: str) -> Any:
    """`longweave export` of a run in `fmt` (to ``<run>-<fmt>-<n flags>/<fmt>.jsonl`` under
    `tmp_path`), checked to exit 0 and loaded with `datasets`."""
    import datasets

    out = tmp_path / f"{run_id}-{fmt}-{len(flags)}" / f"{fmt}.jsonl"
    result = mesh.cli("export", run_id, "--format", fmt, "--out", str(out), *flags)
    assert result.returncode == 0, result.stderr
    json.loads(out.read_text().splitlines()[0])
    return datasets.load_dataset("json", data_files=str(out), split="train")
