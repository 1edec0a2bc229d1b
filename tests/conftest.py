"""Real servers for the tests: Kafka, MongoDB and an OpenAI-compatible LLM, once per session.

Each server is resolved in this order:
1. an address already in the environment (LONGWEAVE_KAFKA_BOOTSTRAP, LONGWEAVE_MONGODB_URI,
   LONGWEAVE_LLM_BASE_URL) is used as is;
2. Kafka and MongoDB come from testcontainers when a Docker engine answers;
3. whatever is still missing runs as a `LocalStack` (no Docker) on free loopback ports, with
   its home in a pytest temporary directory, stopped when the session ends.

Nothing starts unless a test requests `servers`. A local server that cannot start fails the
tests that need it; it is never a reason to skip them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from longweave.settings import Settings

ENV_VARS = {
    "kafka": "LONGWEAVE_KAFKA_BOOTSTRAP",
    "mongodb": "LONGWEAVE_MONGODB_URI",
    "llm": "LONGWEAVE_LLM_BASE_URL",
}
KAFKA_IMAGE = "confluentinc/cp-kafka:7.6.0"
MONGODB_IMAGE = "mongo:7.0"
TEST_LLM_THREADS = 1  # the CPU is shared with the broker, the store and the tests


@dataclass(frozen=True)
class Servers:
    kafka_bootstrap: str
    mongodb_uri: str
    llm_base_url: str
    llm_model: str

    def env(self) -> dict[str, str]:
        """The LONGWEAVE_* variables that point a service subprocess at these servers."""
        return {
            "LONGWEAVE_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "LONGWEAVE_MONGODB_URI": self.mongodb_uri,
            "LONGWEAVE_LLM_BASE_URL": self.llm_base_url,
            "LONGWEAVE_LLM_MODEL": self.llm_model,
        }


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    addresses = {name: os.environ.get(var, "") for name, var in ENV_VARS.items()}
    with contextlib.ExitStack() as cleanup:
        if not (addresses["kafka"] and addresses["mongodb"]) and docker_available():
            if not addresses["kafka"]:
                addresses["kafka"] = cleanup.enter_context(kafka_container())
            if not addresses["mongodb"]:
                addresses["mongodb"] = cleanup.enter_context(mongodb_container())
        missing = [name for name, address in addresses.items() if not address]
        if missing:
            home = tmp_path_factory.mktemp("local-stack")
            addresses.update(cleanup.enter_context(local_stack(missing, home)))
        yield Servers(
            kafka_bootstrap=addresses["kafka"],
            mongodb_uri=addresses["mongodb"],
            llm_base_url=addresses["llm"],
            llm_model=Settings().llm_model,
        )


def docker_available() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # no SDK, no socket, no permission: all mean "no Docker"
        return False


@contextlib.contextmanager
def kafka_container() -> Iterator[str]:
    container_class: Any
    try:
        from testcontainers.community.kafka import KafkaContainer as container_class
    except ImportError:  # testcontainers before the "community" namespace
        from testcontainers.kafka import KafkaContainer as container_class
    with container_class(KAFKA_IMAGE) as kafka:
        yield kafka.get_bootstrap_server()


@contextlib.contextmanager
def mongodb_container() -> Iterator[str]:
    container_class: Any
    try:
        from testcontainers.community.mongodb import MongoDbContainer as container_class
    except ImportError:  # testcontainers before the "community" namespace
        from testcontainers.mongodb import MongoDbContainer as container_class
    with container_class(MONGODB_IMAGE) as mongodb:
        yield mongodb.get_connection_url()


@contextlib.contextmanager
def local_stack(names: list[str], home: Path) -> Iterator[dict[str, str]]:
    from longweave.stack import LocalStack, free_loopback_ports

    kafka_port, mongodb_port, llm_port = free_loopback_ports(3)
    settings = Settings(
        kafka_bootstrap=f"127.0.0.1:{kafka_port}",
        mongodb_uri=f"mongodb://127.0.0.1:{mongodb_port}/?directConnection=true",
        llm_base_url=f"http://127.0.0.1:{llm_port}/v1",
        home=home,
        local_llm_threads=TEST_LLM_THREADS,
    )
    stack = LocalStack(settings)
    try:
        stack.up(only=names)
        started = {
            "kafka": settings.kafka_bootstrap,
            "mongodb": settings.mongodb_uri,
            "llm": settings.llm_base_url,
        }
        yield {name: started[name] for name in names}
    finally:
        stack.down()
