"""`longweave` command line: serve, stack, publish, cancel, status, export, report,
experiment, judge, scenarios, documents, books, eval, contracts, demo."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any

from longweave.experiments import EXPERIMENTS
from longweave.settings import SERVICE_NAMES, Settings


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    settings = Settings()
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per LLM call is noise
    try:
        return int(args.func(args, settings) or 0)
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="longweave", description=__doc__)
    sub = p.add_subparsers(required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run some services, or all six, in one process")
    serve.add_argument("service", nargs="+", choices=[*SERVICE_NAMES, "all"])
    serve.set_defaults(func=_serve)

    stack = sub.add_parser("stack", help="local broker, store and model server")
    stack.add_argument("action", choices=["up", "down", "status"])
    stack.add_argument("--no-llm", action="store_true", help="do not start the local model")
    stack.add_argument("--monitoring", action="store_true",
                       help="also start a Prometheus that scrapes the services and loads the "
                            "alert rules (web UI at LONGWEAVE_LOCAL_PROMETHEUS_ADDRESS)")
    stack.set_defaults(func=_stack)

    pub = sub.add_parser("publish", help="publish a scenario request; prints the run id last")
    _request_args(pub)
    pub.set_defaults(func=_publish)

    cancel = sub.add_parser("cancel", help="stop a run: no new work, in-flight work drains")
    cancel.add_argument("run_id")
    cancel.set_defaults(func=_cancel)

    scenarios = sub.add_parser("scenarios", help="the scenario database the sampler draws from")
    scen = scenarios.add_subparsers(required=True, metavar="ACTION")
    load = scen.add_parser("load", help="load the shipped catalog into MongoDB (idempotent)")
    load.add_argument("--file", type=Path, help="another catalog file instead")
    load.set_defaults(func=_scenarios_load)
    listing = scen.add_parser("list", help="list stored scenarios")
    listing.add_argument("--filter", action="append", default=[], metavar="FIELD=VALUE")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_scenarios_list)
    add = scen.add_parser("add", help="validate a YAML/JSON file of scenarios and add them")
    add.add_argument("file", type=Path)
    add.set_defaults(func=_scenarios_add)
    exp = scen.add_parser("export", help="write every stored scenario as a catalog file")
    exp.add_argument("--out", type=Path, help="default: standard output")
    exp.set_defaults(func=_scenarios_export)

    documents = sub.add_parser("documents", help="the document corpus grounded paradigms read")
    docs = documents.add_subparsers(required=True, metavar="ACTION")
    _corpus_files_args(docs.add_parser(
        "add", help="add .txt, .md, .html or .pdf files (all or none)"), "default", _documents_add)
    doc_list = docs.add_parser("list", help="list the corpus")
    doc_list.add_argument("--collection")
    doc_list.add_argument("--tag", action="append", default=[], metavar="TAG")
    doc_list.add_argument("--json", action="store_true")
    doc_list.set_defaults(func=_documents_list)
    doc_show = docs.add_parser("show", help="a document's metadata, sections and map")
    doc_show.add_argument("document_id")
    doc_show.set_defaults(func=_documents_show)
    doc_remove = docs.add_parser("remove", help="remove a document and its text")
    doc_remove.add_argument("document_id")
    doc_remove.set_defaults(func=_documents_remove)

    books = sub.add_parser("books", help="books in the corpus, split into chapters")
    book_actions = books.add_subparsers(required=True, metavar="ACTION")
    _corpus_files_args(book_actions.add_parser(
        "add", help="add plain-text books (all or none)"), "books", _books_add)
    book_list = book_actions.add_parser("list", help="list the books")
    book_list.set_defaults(func=_books_list)
    book_show = book_actions.add_parser("show", help="a book's metadata (and chapters)")
    book_show.add_argument("book_id")
    book_show.add_argument("--chapters", action="store_true",
                           help="each chapter's title, first words and length")
    book_show.set_defaults(func=_books_show)

    report = sub.add_parser(
        "report", help="a run's quality report (HTML and JSON), or several runs side by side")
    report.add_argument("run_ids", nargs="+", metavar="RUN_ID")
    report.add_argument("--out", type=Path, metavar="DIR",
                        help="where report.html and report.json go (default: "
                             "out/reports/<run id>)")
    report.add_argument("--title", help="the page's title")
    report.add_argument("--label", action="append", default=[], metavar="RUN_ID=LABEL",
                        help="a run's column name (repeatable; default: its id)")
    report.add_argument("--png", type=Path, metavar="PATH",
                        help="also write the main figures as one PNG")
    report.add_argument("--json", action="store_true",
                        help="also print report.json to standard output")
    report.set_defaults(func=_report)

    evaluate = sub.add_parser("eval", help="evaluate a model on generated data")
    eval_kinds = evaluate.add_subparsers(required=True, metavar="KIND")
    eval_claims = eval_kinds.add_parser(
        "claims", help="claim verification: accuracy and pair accuracy of any "
        "OpenAI-compatible model on a run's claims (or an sft export of them)")
    source = eval_claims.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", help="a claims run (its books are read from the corpus)")
    source.add_argument("--file", type=Path, help="an sft export of a claims run (.jsonl)")
    eval_claims.add_argument("--base-url", required=True,
                             help="the model's OpenAI-compatible base URL (…/v1)")
    eval_claims.add_argument("--model", required=True)
    eval_claims.add_argument("--api-key-env", default="LONGWEAVE_EVAL_API_KEY",
                             help="the environment variable holding the API key, if any")
    eval_claims.add_argument("--max-context-tokens", type=int, default=100_000,
                             help="--run: the book, or the chapters that fit, cited first")
    eval_claims.add_argument("--max-tokens", type=int, default=1024,
                             help="the reply's limit (reasoning, then the verdict)")
    eval_claims.add_argument("--concurrency", type=int, default=4)
    eval_claims.add_argument("--json", action="store_true", help="print the scores as JSON")
    eval_claims.set_defaults(func=_eval_claims)

    status = sub.add_parser("status", help="per-stage progress of a run")
    status.add_argument("run_id")
    status.add_argument("--wait", action="store_true", help="wait until the run finishes (exit 0), or time out (exit 3)")
    status.add_argument("--timeout", type=float, default=3600.0)
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=_status)

    export = sub.add_parser("export", help="write a run's accepted records as JSONL")
    export.add_argument("run_id")
    export.add_argument("--format", default="sft",
                        choices=["sft", "dpo", "openai", "grpo", "claims"])
    export.add_argument("--out", type=Path, required=True,
                        help="a .jsonl file, or a folder (required with --split)")
    export.add_argument("--split", help="e.g. train=0.9,test=0.1 (stable per sample)")
    export.add_argument("--trace-layout", choices=["think", "reasoning_content"],
                        default="think", help="reasoning traces: in <think>…</think> before "
                        "the answer, or in the assistant message's reasoning_content field")
    export.add_argument("--max-context-tokens", type=int, default=None,
                        help="rows holding a book: at most this many tokens of it (the "
                        "chapters a claim cites always, then the nearest others)")
    export.set_defaults(func=_export)

    contracts = sub.add_parser("contracts", help="regenerate contracts/ from the models")
    contracts.add_argument("--check", action="store_true", help="fail if contracts/ is stale")
    contracts.add_argument("--dir", type=Path, default=Path("contracts"))
    contracts.set_defaults(func=_contracts)

    experiment = sub.add_parser(
        "experiment", help="the method's experiments: one run per arm over the same "
        "scenarios, then their reports side by side")
    experiments = experiment.add_subparsers(required=True, metavar="NAME")
    for name, spec in EXPERIMENTS.items():
        arm = experiments.add_parser(name, help=spec.question)
        _request_args(arm, leave_out=(spec.field, "run_id"))
        arm.add_argument("--out", type=Path, help="default: out/experiments/<experiment id>")
        arm.add_argument("--timeout", type=float, default=24 * 3600.0,
                         help="seconds to wait for the runs to finish")
        arm.add_argument("--local", action="store_true",
                         help="start the local stack and the six services for the runs (as "
                              "the demo does, with the toy model's decoding), stop them after")
        arm.set_defaults(func=_experiment, experiment=name)

    judge = sub.add_parser("judge", help="the LLM judge")
    judge_actions = judge.add_subparsers(required=True, metavar="ACTION")
    calibrate = judge_actions.add_parser(
        "calibrate", help="the judge against human labels: precision, recall, F1 and "
        "agreement per axis")
    calibrate.add_argument("--labels", type=Path, required=True,
                           help="CSV (record_id,axis,label) or JSONL with those keys; label: "
                                "pass/fail or a score 1-5")
    calibrate.add_argument("--pass-score", type=int, choices=range(1, 6),
                           help="the score a 1-5 label needs to pass (default: the rubric's)")
    calibrate.add_argument("--json", action="store_true")
    calibrate.set_defaults(func=_judge_calibrate)

    demo = sub.add_parser("demo", help="stack up, mesh, a small run, export, summary, stop")
    demo.add_argument("--count", type=int, default=3)
    demo.add_argument("--out", type=Path, default=Path("out/demo"))
    demo.add_argument("--timeout", type=float, default=480.0)
    demo.add_argument("--claims", action="store_true",
                      help="only a small claims run (two pairs over two chapters of a book)")
    demo.set_defaults(func=_demo)
    return p


def _request_args(parser: argparse.ArgumentParser, leave_out: tuple[str, ...] = ()) -> None:
    """The request's flags (publish, and the experiments' base request)."""
    parser.add_argument("--file", type=Path, help="a request as JSON or YAML")
    parser.add_argument("--paradigm", help="a registered paradigm (default: conversation)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="a parameter of the paradigm (VALUE is read as YAML: 3, true, "
                             "[a, b]); repeatable")
    parser.add_argument("--count", type=int)
    parser.add_argument("--objective", choices=["sft", "dpo"])
    parser.add_argument("--segments", type=int, help="conversation: N segments per record")
    parser.add_argument("--turns", type=int, help="conversation: K turns per segment")
    parser.add_argument("--target-tokens", type=int, help="conversation: target record length")
    parser.add_argument("--tolerance", type=float,
                        help="conversation: length window, target × (1 ± tolerance)")
    parser.add_argument("--max-attempts", type=int)
    parser.add_argument("--judge-min-score", type=int)
    parser.add_argument("--filter", action="append", default=[], metavar="FIELD=VALUE",
                        help="keep scenarios whose FIELD equals VALUE (repeat a field: any of)")
    parser.add_argument("--weight", action="append", default=[], metavar="FIELD=VALUE=W",
                        help="sample scenarios whose FIELD is VALUE W times as often (0 excludes)")
    parser.add_argument("--complexity", type=int, help="constraint layers per sample")
    parser.add_argument("--operator", action="append", default=[], metavar="NAME",
                        help="complexify only with these operators (repeatable)")
    if "noise_transformations" not in leave_out:
        parser.add_argument("--noise", type=int,
                            help="noise transformations per sample (the method's 2-4; 0-1 "
                                 "for comparisons)")
    if "scenario_fields" not in leave_out:
        parser.add_argument("--scenario-fields", type=int,
                            help="show the prompt only the first N scenario fields")
    parser.add_argument("--seed", type=int)
    if "run_id" not in leave_out:
        parser.add_argument("--run-id")
    parser.add_argument("--no-cache", action="store_true",
                        help="always call the model (ignore the LLM response cache)")
    parser.add_argument("--budget-tokens", type=int, help="stop the run after this many tokens")
    parser.add_argument("--budget-usd", type=float, help="stop the run after this estimated cost")


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.mesh import serve

    names = list(SERVICE_NAMES) if "all" in args.service else list(dict.fromkeys(args.service))
    asyncio.run(serve(settings, names))
    return 0


def _stack(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.stack.local import LocalStack

    stack = LocalStack(settings)
    if args.action == "up":
        stack.up(with_llm=not args.no_llm, with_monitoring=args.monitoring)
    elif args.action == "down":
        stack.down()
    ready = True
    for name, st in stack.status().items():
        state = "ready" if st.ready else ("running" if st.running else "stopped")
        print(f"{name:10} {st.address:28} {state:8} pid={st.pid or '-'}")
        left_out = (args.no_llm and name == "llm") or (
            not args.monitoring and name == "prometheus")
        ready &= bool(st.ready) or args.action == "down" or left_out
    return 0 if ready or args.action == "status" else 1


def _request_fields(args: argparse.Namespace) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if args.file:
        from longweave.client import load_request_file

        fields.update(load_request_file(args.file))
    flags = {
        "paradigm": args.paradigm, "count": args.count, "objective": args.objective,
        "max_attempts": args.max_attempts, "judge_min_score": args.judge_min_score,
        "seed": args.seed, "run_id": getattr(args, "run_id", None),
    }
    params = {"segments": args.segments, "turns_per_segment": args.turns,
              "target_tokens": args.target_tokens, "length_tolerance": args.tolerance}
    params = {k: v for k, v in params.items() if v is not None}
    for item in args.param:
        import yaml

        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SystemExit(f"--param wants NAME=VALUE, got {item!r}")
        params[name] = yaml.safe_load(value) if value else ""
    if params:
        fields["params"] = {**fields.get("params", {}), **params}
    flags.update({"complexity": args.complexity,
                  "noise_transformations": getattr(args, "noise", None),
                  "scenario_fields": getattr(args, "scenario_fields", None),
                  "complexify_operators": args.operator or None})
    fields.update({k: v for k, v in flags.items() if v is not None})
    if args.no_cache:
        fields["cache"] = False
    budget = {"max_tokens": args.budget_tokens, "max_cost_usd": args.budget_usd}
    if any(v is not None for v in budget.values()):
        fields["budget"] = {**fields.get("budget", {}),
                            **{k: v for k, v in budget.items() if v is not None}}
    if args.filter:
        fields["filters"] = {**fields.get("filters", {}), **_filters(args.filter)}
    for item in args.weight:
        field, sep1, rest = item.partition("=")
        value, sep2, weight = rest.rpartition("=")
        try:
            number = float(weight)
        except ValueError:
            number = None
        if not (sep1 and sep2 and field and value) or number is None:
            raise SystemExit(f"--weight wants FIELD=VALUE=WEIGHT, got {item!r}")
        fields.setdefault("weights", {}).setdefault(field, {})[value] = number
    return fields


def _filters(items: list[str]) -> dict[str, str | list[str]]:
    """FIELD=VALUE flags; a field given more than once keeps any of its values."""
    values: dict[str, list[str]] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--filter wants FIELD=VALUE, got {item!r}")
        values.setdefault(name, []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in values.items()}


def _publish(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.client import build_request, publish_request

    try:
        request = build_request(_request_fields(args))
    except ValueError as exc:  # pydantic's ValidationError included
        print(f"invalid request:\n{exc}", file=sys.stderr)
        return 2
    run_id = asyncio.run(publish_request(settings, request))
    print(f"published request {request.request_id}: {request.count} × {request.paradigm}")
    print(run_id)
    return 0


def _report(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.report import stderr_progress, write_report

    labels = {}
    for item in args.label:
        run_id, sep, label = item.partition("=")
        if not sep or not run_id or not label:
            raise SystemExit(f"--label wants RUN_ID=LABEL, got {item!r}")
        labels[run_id] = label
    try:
        path = _with_store(settings, lambda store: write_report(
            list(dict.fromkeys(args.run_ids)), args.out, store, settings, args.title,
            labels or None, png=args.png, progress=stderr_progress))
    except ValueError as exc:
        print(f"report failed: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print((path.parent / "report.json").read_text(encoding="utf-8"))
    print(path, file=sys.stderr if args.json else sys.stdout)
    return 0


def _experiment(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.experiment_run import run_experiment

    spec = EXPERIMENTS[args.experiment]
    fields = _request_fields(args)
    fields.setdefault("count", spec.default_count)
    return run_experiment(settings, spec, fields, out_dir=args.out, timeout_s=args.timeout,
                          local=args.local)


def _judge_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.judge.calibrate_store import calibrate_labels
    from longweave.judge.calibration import LabelError, calibration_table, read_labels

    try:
        labels = read_labels(args.labels)
        result = _with_store(settings, lambda store: calibrate_labels(
            store, labels, args.pass_score))
    except (OSError, LabelError, ValueError) as exc:
        print(f"calibration failed: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result) if args.json else calibration_table(result))
    return 0 if result["axes"] else 1


def _eval_claims(args: argparse.Namespace, settings: Settings) -> int:
    import os

    from pydantic import SecretStr

    from longweave.client import claims_eval_items
    from longweave.llm import LLMClient
    from longweave.paradigms.claims.evaluation import evaluate, items_from_rows
    from longweave.settings import LLMEndpoint

    try:
        if args.file is not None:
            rows = [json.loads(line) for line in
                    args.file.read_text(encoding="utf-8").splitlines() if line.strip()]
            items = items_from_rows(rows)
        else:
            items = _with_store(settings, lambda store: claims_eval_items(
                store, args.run, args.max_context_tokens))
    except (OSError, ValueError) as exc:
        print(f"eval failed: {exc}", file=sys.stderr)
        return 2
    if not items:
        print("eval failed: no claims to ask about", file=sys.stderr)
        return 2
    key = os.environ.get(args.api_key_env)
    endpoint = LLMEndpoint(role="eval", base_url=args.base_url, model=args.model,
                           api_key=SecretStr(key) if key else None,
                           max_concurrency=args.concurrency)

    def progress(done: int, total: int) -> None:
        filled = 30 * done // total
        print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} claims", end="",
              file=sys.stderr, flush=True)

    async def run() -> dict[str, Any]:
        client = LLMClient(endpoint)
        try:
            async def chat(messages: list[dict[str, str]]) -> str:
                reply = await client.chat(messages, max_tokens=args.max_tokens,
                                          temperature=0.0)
                return reply.text

            found, _ = await evaluate(items, chat, args.concurrency, progress)
            return found
        finally:
            await client.aclose()

    found = asyncio.run(run())
    print(file=sys.stderr)
    if args.json:
        print(json.dumps(found))
    else:
        print(f"{args.model}: accuracy {found['accuracy']:.1%} ({found['correct']}/"
              f"{found['claims']} claims), pair accuracy {found['pair_accuracy']:.1%} "
              f"({found['pairs_correct']}/{found['pairs']} pairs); {found['unparsed']} "
              "replies stated no verdict")
    return 0


def _with_store(settings: Settings, work: Any) -> Any:
    """Run `work(store)` (a coroutine function) against the configured store."""
    from longweave.store import Store

    async def go() -> Any:
        store = Store(settings.mongodb_uri, settings.mongodb_db)
        try:
            return await work(store)
        finally:
            store.close()

    return asyncio.run(go())


def _cancel(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.client import cancel_run

    outcome = _with_store(settings, lambda store: cancel_run(store, args.run_id))
    messages = {
        "cancelling": "cancel requested: no new work; in-flight work drains, then the run "
                      "ends cancelled",
        "already stopping": "the run is already stopping",
        "finished": "the run has already finished",
        "unknown": "no such run (not sampled yet, or another database)",
    }
    print(f"{args.run_id}: {messages[outcome]}")
    return 0 if outcome in ("cancelling", "already stopping") else 1


def _corpus_files_args(parser: argparse.ArgumentParser, collection: str,
                       func: Any) -> None:
    """The arguments of `documents add` and `books add`."""
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--collection", default=collection)
    parser.add_argument("--tag", action="append", default=[], metavar="TAG")
    parser.add_argument("--max-bytes", type=int, default=None,
                        help="refuse larger files (default 50 MB)")
    parser.set_defaults(func=func)


def _nothing_added(errors: list[str]) -> int:
    """One line per refused file, and what became of the rest: nothing is added."""
    print("\n".join(errors), file=sys.stderr)
    print(f"nothing added: fix or leave out the {len(errors)} file(s) above", file=sys.stderr)
    return 2


def _documents_add(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.corpus.extract import DEFAULT_MAX_BYTES, CorpusError, extract
    from longweave.corpus.library import DocumentLibrary

    extracted, errors = [], []
    for path in args.paths:  # every file read before any is stored: all or none
        try:
            extracted.append((path, extract(path, args.max_bytes or DEFAULT_MAX_BYTES)))
        except CorpusError as exc:
            errors.append(str(exc))
    if errors:
        return _nothing_added(errors)

    async def add(store: Any) -> list[tuple[Path, dict[str, Any], bool]]:
        library = DocumentLibrary(store)
        await library.ensure_indexes()
        return [(path, *await library.add(doc, args.collection, args.tag))
                for path, doc in extracted]

    for path, entry, added in _with_store(settings, add):
        if added:
            print(f"{path}: added {entry['_id']} ({entry['title']}, {entry['tokens']:,} tokens)")
        else:
            print(f"{path}: already in the corpus as {entry['_id']} ({entry['title']})")
    return 0


def _documents_list(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.corpus.library import DocumentLibrary

    filters: dict[str, Any] = {}
    if args.collection:
        filters["collection"] = args.collection
    if args.tag:
        filters["tags"] = {"$all": args.tag}
    entries = _with_store(settings, lambda store: DocumentLibrary(store).list(filters))
    for e in entries:
        if args.json:
            print(json.dumps(e, ensure_ascii=False, default=str))
        else:
            print(f"{e['_id']}  {e['tokens']:>9,} tokens  {e['collection']:<12} "
                  f"{','.join(e['tags']) or '-':<12} {e['title']}")
    return 0


def _documents_show(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.corpus.library import DocumentLibrary

    entry = _with_store(settings, lambda store: DocumentLibrary(store).get(args.document_id))
    if entry is None:
        print(f"no document {args.document_id!r} in the corpus (see `longweave documents "
              "list`)", file=sys.stderr)
        return 2
    print(f"{entry['_id']}: {entry['title']}")
    for key in ("source", "format", "licence", "collection", "tags", "chars", "tokens"):
        print(f"  {key}: {entry.get(key)}")
    for key, value in (entry.get("metadata") or {}).items():
        print(f"  {key}: {value}")
    chunks = len(entry["chunks"])
    print(f"  chunks: {chunks} (about {entry['tokens'] // max(1, chunks)} tokens each)")
    print(f"  sections ({len(entry['sections'])}):")
    for item in entry["map"]:
        print(f"    @{item['start']:>8}  {item['title'][:60]}: {item['summary'][:70]}")
    return 0


def _documents_remove(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.corpus.library import DocumentLibrary

    if not _with_store(settings, lambda store: DocumentLibrary(store).remove(args.document_id)):
        print(f"no document {args.document_id!r} in the corpus", file=sys.stderr)
        return 2
    print(f"removed {args.document_id}")
    return 0


def _books_add(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.corpus.chapters import book_chapters
    from longweave.corpus.extract import DEFAULT_MAX_BYTES, CorpusError, extract
    from longweave.corpus.library import DocumentLibrary

    books, errors, seen = [], [], {}
    for path in args.paths:  # every book read and split before any is stored: all or none
        try:
            doc = extract(path, args.max_bytes or DEFAULT_MAX_BYTES)
            if doc.content_hash in seen:
                raise CorpusError(f"{path}: the same text as {seen[doc.content_hash]}")
            seen[doc.content_hash] = path
            books.append((path, doc, book_chapters(doc.text, str(path))))
        except CorpusError as exc:
            errors.append(str(exc))

    async def add(store: Any) -> list[tuple[Path, dict[str, Any], int]]:
        library = DocumentLibrary(store)
        await library.ensure_indexes()
        for path, doc, _ in books:
            existing = await library.find_text(doc.content_hash)
            if existing is not None and existing.get("kind") == "book":
                errors.append(f"{path}: already in the corpus as {existing['_id']} "
                              f"({existing['title']})")
        if errors:
            return []
        return [(path, (await library.add(doc, args.collection, args.tag, kind="book",
                                          chapters=found))[0], len(found))
                for path, doc, found in books]

    added = _with_store(settings, add) if not errors else []
    if errors:
        return _nothing_added(errors)
    for path, entry, n_chapters in added:
        print(f"{path}: added {entry['_id']} ({entry['title']}, {n_chapters} chapters, "
              f"{entry['tokens']:,} tokens)")
    return 0


def _books_list(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.corpus.library import DocumentLibrary

    entries = _with_store(settings, lambda store: DocumentLibrary(store).list(
        {"kind": "book"}, with_structure=True))
    for e in entries:
        print(f"{e['_id']}  {len(e['chapters']):>4} chapters  {e['tokens']:>9,} tokens  "
              f"{e['title']}")
    return 0


def _books_show(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.corpus.library import DocumentLibrary

    async def read(store: Any) -> tuple[dict[str, Any] | None, str]:
        library = DocumentLibrary(store)
        entry = await library.get(args.book_id)
        if entry is None or entry.get("kind") != "book":
            return None, ""
        return entry, await library.text(args.book_id) if args.chapters else ""

    entry, text = _with_store(settings, read)
    if entry is None:
        print(f"no book {args.book_id!r} in the corpus (see `longweave books list`)",
              file=sys.stderr)
        return 2
    print(f"{entry['_id']}: {entry['title']}")
    for key in ("source", "licence", "collection", "tags", "chars", "tokens"):
        print(f"  {key}: {entry.get(key)}")
    for key, value in (entry.get("metadata") or {}).items():
        print(f"  {key}: {value}")
    print(f"  chapters: {len(entry['chapters'])}")
    if args.chapters:
        for c in entry["chapters"]:
            words = " ".join(text[c["body_start"]:c["end"]].split()[:10])
            print(f"  {c['index'] + 1:>4}  {c['title'][:40]:<40} {c['tokens']:>7,} tokens  "
                  f"{words}")
    return 0


def _scenarios_load(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.catalog import CatalogError
    from longweave.scenarios import load_scenarios

    try:
        loaded, retired, version = _with_store(
            settings, lambda store: load_scenarios(store, args.file))
    except CatalogError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"catalog v{version}: {loaded} scenarios loaded, {retired} retired")
    return 0


def _scenarios_list(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.scenarios import list_scenarios

    try:
        docs = _with_store(settings, lambda store: list_scenarios(store, _filters(args.filter)))
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    for doc in docs:
        if args.json:
            print(json.dumps(doc, ensure_ascii=False, default=str))
        else:
            geo = doc["geography"]
            print(f"{doc['_id']:44} {doc['domain']:20} {geo['city'] + ', ' + geo['country']:36} "
                  f"{doc.get('source', '-')}")
    if not args.json:
        print(f"{len(docs)} scenarios", file=sys.stderr)
    return 0


def _scenarios_add(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.catalog import CatalogError
    from longweave.scenarios import add_scenarios

    try:
        ids = _with_store(settings, lambda store: add_scenarios(store, args.file))
    except CatalogError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"added {len(ids)} scenarios: {', '.join(ids)}")
    return 0


def _scenarios_export(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.scenarios import export_scenarios

    text = _with_store(settings, export_scenarios)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"exported to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _status(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.report import default_out_dir
    from longweave.watch import watch_run

    code = asyncio.run(watch_run(settings, args.run_id, args.wait, args.timeout, args.json))
    report = default_out_dir([args.run_id]) / "report.html"
    if report.exists():  # on stderr with --json: standard output stays one JSON per line
        print(f"report: {report} (`longweave report {args.run_id}` rewrites it)",
              file=sys.stderr if args.json else sys.stdout)
    else:
        print(f"report: `longweave report {args.run_id}` writes {report}",
              file=sys.stderr if args.json else sys.stdout)
    return code


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.client import export_run
    from longweave.paradigms import ExportOptions

    try:
        counts = _with_store(settings, lambda store: export_run(
            store, args.run_id, args.format, args.out, args.split,
            ExportOptions(trace_layout=args.trace_layout,
                          max_context_tokens=args.max_context_tokens)))
    except ValueError as exc:
        print(f"export failed: {exc}", file=sys.stderr)
        return 2
    for name, count in counts.items():
        print(f"exported {count} {args.format} rows to {name}.jsonl")
    return 0 if sum(counts.values()) else 1


def _contracts(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.contract_files import stale_files, write_contracts

    if args.check:
        stale = stale_files(args.dir)
        for name in stale:
            print(f"stale: {name} (run `longweave contracts`)", file=sys.stderr)
        return 1 if stale else 0
    for path in write_contracts(args.dir):
        print(path)
    return 0


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from longweave.demo import run_demo

    return run_demo(settings, count=args.count, out_dir=args.out, timeout_s=args.timeout,
                    claims=args.claims)


if __name__ == "__main__":
    sys.exit(main())
