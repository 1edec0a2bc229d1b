"""Export: `export`, `eval claims`."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from longweave.cli.common import json_option, out_option, require_runs, with_store
from longweave.cli.errors import UserError

FORMATS = ("sft", "dpo", "openai", "grpo", "claims")  # export.FORMATS (checked by a test)


@click.command(short_help="write a run's accepted records as JSONL, with a dataset card")
@click.argument("run_id")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="sft", show_default=True,
              help="the rows' layout")
@out_option("a .jsonl file, or a folder (required with --split)", required=True)
@click.option("--split", metavar="NAME=SHARE,...",
              help="e.g. train=0.9,test=0.1 (stable per sample)")
@click.option("--trace-layout", type=click.Choice(["think", "reasoning_content"]),
              default="think", show_default=True,
              help="reasoning traces: in <think>…</think> before the answer, or in the "
                   "assistant message's reasoning_content field")
@click.option("--max-context-tokens", type=click.IntRange(min=1),
              help="rows holding a book: at most this many tokens of it (the chapters a "
                   "claim cites always, then the nearest others)")
def export(run_id: str, fmt: str, out: Path, split: str | None, trace_layout: str,
           max_context_tokens: int | None) -> int:
    """Write RUN_ID's accepted records as JSONL in the chosen format (one file, or one per
    split) with a dataset card beside them. Exit 1 when the run has no records to export."""
    from longweave.client import export_run
    from longweave.paradigms import ExportOptions

    async def go(store: Any) -> dict[str, int]:
        await require_runs(store, [run_id])
        return await export_run(store, run_id, fmt, out, split, ExportOptions(
            trace_layout=trace_layout, max_context_tokens=max_context_tokens))

    try:
        counts = with_store(go)
    except ValueError as exc:
        raise UserError(f"export failed: {exc}") from None
    for name, count in counts.items():
        print(f"exported {count} {fmt} rows to {name}.jsonl")
    if not sum(counts.values()):
        print(f"run {run_id} has no accepted records yet (see `longweave status {run_id}`)",
              file=sys.stderr)
    return 0 if sum(counts.values()) else 1


@click.group(name="eval", short_help="evaluate a model on generated data")
def evaluate() -> None:
    """Evaluate a model on generated data."""


@evaluate.command(short_help="claim verification: accuracy and pair accuracy of a model")
@click.option("--run", "run_id", help="a claims run (its books are read from the corpus)")
@click.option("--file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="an sft export of a claims run (.jsonl)")
@click.option("--base-url", required=True, help="the model's OpenAI-compatible base URL (…/v1)")
@click.option("--model", required=True)
@click.option("--api-key-env", default="LONGWEAVE_EVAL_API_KEY", show_default=True,
              help="the environment variable holding the API key, if any")
@click.option("--max-context-tokens", type=click.IntRange(min=1), default=100_000,
              show_default=True, help="--run: the book, or the chapters that fit, cited first")
@click.option("--max-tokens", type=click.IntRange(min=1), default=1024, show_default=True,
              help="the reply's limit (reasoning, then the verdict)")
@click.option("--concurrency", type=click.IntRange(min=1), default=4, show_default=True)
@json_option
def claims(run_id: str | None, file: Path | None, base_url: str, model: str,
           api_key_env: str, max_context_tokens: int, max_tokens: int, concurrency: int,
           as_json: bool) -> int:
    """Ask any OpenAI-compatible model to verify a claims run's claims (--run, or --file
    with an sft export of one); report accuracy and pair accuracy."""
    from pydantic import SecretStr

    from longweave.client import claims_eval_items
    from longweave.llm import LLMClient
    from longweave.paradigms.claims.evaluation import evaluate as evaluate_items
    from longweave.paradigms.claims.evaluation import items_from_rows
    from longweave.settings import LLMEndpoint

    if (run_id is None) == (file is None):
        raise UserError("give exactly one of --run RUN_ID and --file EXPORT.jsonl")
    try:
        if file is not None:
            rows = [json.loads(line) for line in
                    file.read_text(encoding="utf-8").splitlines() if line.strip()]
            items = items_from_rows(rows)
        else:
            async def read(store: Any) -> list[Any]:
                await require_runs(store, [run_id])
                return await claims_eval_items(store, run_id, max_context_tokens)

            items = with_store(read)
    except (OSError, ValueError) as exc:
        raise UserError(f"eval failed: {exc}") from None
    if not items:
        raise UserError("eval failed: no claims to ask about")
    key = os.environ.get(api_key_env)
    endpoint = LLMEndpoint(role="eval", base_url=base_url, model=model,
                           api_key=SecretStr(key) if key else None,
                           max_concurrency=concurrency)

    async def run() -> dict[str, Any]:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        client = LLMClient(endpoint)
        # Off a terminal (a log, CI) the final state is printed once: "8/8 claims".
        with Progress(BarColumn(), MofNCompleteColumn(), "claims", TimeRemainingColumn(),
                      console=Console(stderr=True)) as bar:
            task = bar.add_task("claims", total=len(items))

            async def chat(messages: list[dict[str, str]]) -> str:
                reply = await client.chat(messages, max_tokens=max_tokens, temperature=0.0)
                return reply.text

            try:
                found, _ = await evaluate_items(
                    items, chat, concurrency,
                    lambda done, total: bar.update(task, completed=done, total=total))
                return found
            finally:
                await client.aclose()

    found = asyncio.run(run())
    if as_json:
        print(json.dumps(found))
    else:
        print(f"{model}: accuracy {found['accuracy']:.1%} ({found['correct']}/"
              f"{found['claims']} claims), pair accuracy {found['pair_accuracy']:.1%} "
              f"({found['pairs_correct']}/{found['pairs']} pairs); {found['unparsed']} "
              "replies stated no verdict")
    return 0
