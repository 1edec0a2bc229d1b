"""Runtime settings, read from the environment (prefix ``LONGWEAVE_``).

Defaults point at the local stack (`longweave stack up`). Secrets (API keys) are
``SecretStr`` so they never appear in reprs, logs or stored metadata.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from longweave.contracts.messages import QualityThresholds

SERVICE_NAMES = ("sampler", "generator", "stitcher", "validator", "judge", "sink")


class ServicePorts(BaseModel):
    """Port of each service's /metrics, /healthz and /readyz HTTP endpoint."""

    sampler: int = 9101
    generator: int = 9102
    stitcher: int = 9103
    validator: int = 9104
    judge: int = 9105
    sink: int = 9106

    def of(self, service: str) -> int:
        return int(getattr(self, service))


StructuredOutput = Literal["json_schema", "json_object", "none"]
HttpClient = Literal["auto", "native", "httpx"]
KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
KafkaSaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


class ModelPrice(BaseModel):
    """USD per million tokens of one model."""

    prompt: float = Field(ge=0)
    completion: float = Field(ge=0)


class LLMEndpoint(BaseModel):
    """One OpenAI-compatible endpoint as a role (generator or judge) sees it."""

    role: str
    base_url: str
    model: str
    api_key: SecretStr | None = None
    # "json_schema": response_format with a JSON Schema (llama.cpp, vLLM, SGLang, OpenAI);
    # "json_object": JSON mode only; "none": prompted JSON, parsed with repair.
    structured_output: StructuredOutput = "json_schema"
    timeout_s: float = Field(300.0, gt=0)  # one HTTP attempt
    max_retries: int = Field(4, ge=0)
    call_deadline_s: float = Field(600.0, gt=0)  # one call: queueing, attempts and backoff
    # Concurrency starts at the cap, halves on 429s and grows back on successes (AIMD).
    max_concurrency: int = Field(16, ge=1)
    requests_per_minute: float | None = Field(None, gt=0)
    tokens_per_minute: float | None = Field(None, gt=0)
    # "native": the gateway's own HTTP/1.1 client (fast; http and https); "httpx": httpx,
    # for proxies; "auto": native unless a proxy from the environment applies to the URL.
    http_client: HttpClient = "auto"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LONGWEAVE_", env_nested_delimiter="__", extra="ignore",
        env_parse_none_str="null",  # e.g. LONGWEAVE_QUALITY__MIN_STOP_WORDS=null: check off
    )

    kafka_bootstrap: str = "127.0.0.1:9092"
    # How every Kafka client of the code connects (kafka_security.py). PLAINTEXT, the
    # default, is what the local stack's broker speaks; a Strimzi KafkaUser
    # (k8s/components/strimzi) is SASL_PLAINTEXT or SASL_SSL with SCRAM-SHA-512, its name
    # the username and its Secret's `password` the password.
    kafka_security_protocol: KafkaSecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: KafkaSaslMechanism = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    # PEM bundle of the CAs that sign the brokers' certificates (SSL, SASL_SSL); unset: the
    # system's CAs.
    kafka_ssl_cafile: Path | None = None
    mongodb_uri: str = "mongodb://127.0.0.1:27017/?directConnection=true"
    mongodb_db: str = "longweave"

    llm_base_url: str = "http://127.0.0.1:8080/v1"
    llm_model: str = "smollm2-135m-instruct"
    llm_api_key: SecretStr | None = None
    llm_structured_output: StructuredOutput = "json_schema"
    llm_timeout_s: float = 300.0
    llm_max_retries: int = 4
    # LLM gateway (see services/longweave/llm/README.md).
    llm_call_deadline_s: float = 600.0
    llm_max_concurrency: int = 16
    # Every Nth free gateway slot goes to the longest waiter whatever its priority (see
    # llm/concurrency.py); a very large N is strict priority for samples under way.
    llm_fifo_share_every: int = Field(8, ge=1)
    llm_requests_per_minute: float | None = None
    llm_tokens_per_minute: float | None = None
    llm_http_client: HttpClient = "auto"
    # Model → USD per million prompt/completion tokens, as JSON; unpriced models cost 0.
    llm_prices: dict[str, ModelPrice] = Field(default_factory=dict)
    # Off: no reply is read from or written to the response cache, whatever runs ask.
    llm_cache: bool = True
    # Decoding for generation. Small local models loop without a frequency penalty; large
    # hosted models usually want none.
    # The next segment sees the conversation so far verbatim while it fits this many tokens
    # (cheaper and more faithful than a summary); past it, a running summary keeps prompt cost
    # linear in the number of segments. 0 summarises always.
    context_budget_tokens: int = Field(1500, ge=0, le=4000)
    llm_temperature: float = 0.7
    llm_frequency_penalty: float = 0.0

    # The judge falls back to the generator's endpoint when these are unset.
    judge_base_url: str | None = None
    judge_model: str | None = None
    judge_api_key: SecretStr | None = None
    judge_structured_output: StructuredOutput | None = None
    judge_max_concurrency: int | None = None
    judge_requests_per_minute: float | None = None
    judge_tokens_per_minute: float | None = None

    # Empty fetches are paced to one per interval per consumer (for brokers that ignore
    # fetch.max.wait.ms; see kafka_compat). 0 disables.
    kafka_idle_fetch_interval_ms: int = 200
    # Static group membership: a name stable across restarts and unique per process (e.g. a
    # StatefulSet pod name). A restarted process then takes over its consumers' partitions
    # at once; on the local broker, which never expires a killed consumer, a killed process
    # can resume only with it (and one consumer per service there). See kafka_membership.
    kafka_instance_id: str | None = Field(None, pattern=r"^[A-Za-z0-9._\-]{1,100}$")

    topic_prefix: str = "longweave"
    topic_partitions: int = 6
    topic_replication: int = 1

    # Messages each subscriber keeps in progress at once (key-ordered: never two of one
    # sample; see kafka_parallel). Unset for the LLM-bound generator and judge: their
    # endpoint's concurrency, so the gateway's limit, not the consumer, bounds the calls.
    sampler_max_in_flight: int = Field(4, ge=1)
    generator_max_in_flight: int | None = Field(None, ge=1)
    stitcher_max_in_flight: int = Field(64, ge=1)
    validator_max_in_flight: int = Field(16, ge=1)
    judge_max_in_flight: int | None = Field(None, ge=1)
    sink_max_in_flight: int = Field(64, ge=1)
    # On SIGTERM or a revoke, in-flight work gets this long to finish; what still runs then
    # is abandoned uncommitted (delivered again; finished LLM calls come from the cache).
    drain_timeout_s: float = Field(30.0, ge=0)
    # How often each subscriber commits the offsets below which all work has finished.
    kafka_commit_interval_ms: int = Field(1000, ge=10)
    # How often each subscriber measures its consumer lag (longweave_consumer_lag): a few
    # requests to the broker per subscriber each time.
    kafka_lag_interval_s: float = Field(15.0, gt=0)
    # How often each process deletes the records of the hop topics below its subscribers'
    # committed offsets (kafka_purge.py). 0 keeps them: set 0 when anything outside the
    # mesh consumes those topics.
    kafka_purge_interval_s: float = Field(30.0, ge=0)
    # Store reads by id and writes wait this long to share one command with the operations
    # other handlers issue meanwhile (store_batches.py): fewer, larger commands cost the
    # store and the services less CPU, for a few ms more per operation. 0 sends at once.
    store_batch_linger_ms: float = Field(10.0, ge=0, le=1000)
    # One message's handler may run this long at most (it bounds LLM retries too); the
    # consumer's max_poll_interval is derived from it so a slow LLM never triggers a rebalance.
    handler_deadline_s: float = 900.0
    # A handler failing for an unexpected reason is redelivered this many times, then dead-lettered.
    max_redeliveries: int = 3

    ports: ServicePorts = Field(default_factory=ServicePorts)
    metrics_host: str = "0.0.0.0"

    # Local stack (`longweave stack up`): where pid files, logs and data live.
    home: Path = Path(".longweave")
    # `longweave stack up --monitoring`: the local Prometheus (its web UI and API).
    local_prometheus_address: str = "127.0.0.1:9090"
    local_llm_threads: int = 2
    local_llm_parallel: int = 2
    local_llm_ctx: int = 16384

    # `longweave report`: the embeddings its similarity figures are computed from. "auto":
    # the OpenAI-compatible /v1/embeddings endpoint at embeddings_url when set, else the
    # local llama.cpp server (xllamacpp, the packaged SmolLM2 GGUF) started in embedding
    # mode for the report's duration, else (no local model) hashed TF-IDF vectors.
    # "lexical": those always; "none": no similarity figures. A 135M chat model's mean-pooled
    # hidden states are a weak semantic embedder: point embeddings_url at a real embedding
    # model for real data.
    embeddings_backend: Literal["auto", "endpoint", "local", "lexical", "none"] = "auto"
    embeddings_url: str | None = None  # e.g. https://api.openai.com/v1
    embeddings_model: str | None = None  # required with embeddings_url
    embeddings_api_key: SecretStr | None = None
    embeddings_max_records: int = Field(32, ge=2, le=5000)  # per run, sampled with a seed
    embeddings_max_chars: int = Field(1000, ge=100, le=100_000)  # each record's opening

    # The validator's text-quality thresholds (contracts QualityThresholds), e.g.
    # LONGWEAVE_QUALITY__MAX_COMPRESSION_RATIO=2.6; a request's override these field by field.
    quality: QualityThresholds = Field(default_factory=QualityThresholds)

    log_level: str = "INFO"

    @cached_property
    def generator_endpoint(self) -> LLMEndpoint:
        return LLMEndpoint(
            role="generator",
            base_url=self.llm_base_url,
            model=self.llm_model,
            api_key=self.llm_api_key,
            structured_output=self.llm_structured_output,
            timeout_s=self.llm_timeout_s,
            max_retries=self.llm_max_retries,
            call_deadline_s=self.llm_call_deadline_s,
            max_concurrency=self.llm_max_concurrency,
            requests_per_minute=self.llm_requests_per_minute,
            tokens_per_minute=self.llm_tokens_per_minute,
            http_client=self.llm_http_client,
        )

    @cached_property
    def judge_endpoint(self) -> LLMEndpoint:
        return LLMEndpoint(
            role="judge",
            base_url=self.judge_base_url or self.llm_base_url,
            model=self.judge_model or self.llm_model,
            api_key=self.judge_api_key or self.llm_api_key,
            structured_output=self.judge_structured_output or self.llm_structured_output,
            timeout_s=self.llm_timeout_s,
            max_retries=self.llm_max_retries,
            call_deadline_s=self.llm_call_deadline_s,
            max_concurrency=self.judge_max_concurrency or self.llm_max_concurrency,
            requests_per_minute=self.judge_requests_per_minute or self.llm_requests_per_minute,
            tokens_per_minute=self.judge_tokens_per_minute or self.llm_tokens_per_minute,
            http_client=self.llm_http_client,
        )

    def max_in_flight(self, service: str) -> int:
        configured = getattr(self, f"{service}_max_in_flight")
        if configured is not None:
            return int(configured)
        if service == "judge":
            return self.judge_endpoint.max_concurrency
        # Twice the endpoint's slots: while some handlers store a finished segment, others
        # already wait at the gateway, where samples under way go first.
        return 2 * self.generator_endpoint.max_concurrency

    @property
    def llm_work_deadline_s(self) -> float:
        """LLM work inside one handler stops here (and becomes a regeneration), leaving the
        handler time to record the outcome before its own deadline."""
        return self.handler_deadline_s * 0.8

    @property
    def max_poll_interval_ms(self) -> int:
        # A handler is cancelled at its deadline, so one poll gap never exceeds it.
        return int((self.handler_deadline_s + 120.0) * 1000)

    def host_port(self, which: str) -> tuple[str, int]:
        """(host, port) of the local stack's kafka, mongodb, llm or prometheus address."""
        if which in ("kafka", "prometheus"):
            address = self.kafka_bootstrap if which == "kafka" else self.local_prometheus_address
            host, _, port = address.split(",")[0].rpartition(":")
            return host or "127.0.0.1", int(port)
        url = urlparse(self.mongodb_uri if which == "mongodb" else self.llm_base_url)
        default = 27017 if which == "mongodb" else 8080
        return url.hostname or "127.0.0.1", url.port or default
