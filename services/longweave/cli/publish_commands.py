"""Publish: `publish`, `cancel`, `experiment NAME`."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from longweave.cli.common import (
    STORE_TIMEOUT_MS,
    filter_option,
    out_option,
    require_runs,
    settings,
    with_store,
)
from longweave.cli.errors import UserError, problem_lines, validation_lines

if TYPE_CHECKING:
    from longweave.contracts import ScenarioRequest


def _request_option(flag: str, **kwargs: Any) -> tuple[str, Callable[[Any], Any]]:
    return flag, click.option(flag, **kwargs)


REQUEST_OPTIONS = [
    _request_option("--file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                    help="a request as JSON or YAML (flags override its fields)"),
    _request_option("--paradigm", help="a registered paradigm (default: conversation)"),
    _request_option("--param", multiple=True, metavar="NAME=VALUE",
                    help="a parameter of the paradigm (VALUE is read as YAML: 3, true, "
                         "[a, b]); repeatable"),
    _request_option("--count", type=int, help="records to generate"),
    _request_option("--objective", help="sft or dpo"),
    _request_option("--segments", type=int, help="conversation: N segments per record"),
    _request_option("--turns", type=int, help="conversation: K turns per segment"),
    _request_option("--target-tokens", type=int, help="conversation: target record length"),
    _request_option("--tolerance", type=float,
                    help="conversation: length window, target × (1 ± tolerance)"),
    _request_option("--max-attempts", type=int, help="generations per sample at most"),
    _request_option("--judge-min-score", type=int, help="the judge's pass mark (1-5)"),
    ("--filter", filter_option),
    _request_option("--weight", multiple=True, metavar="FIELD=VALUE=W",
                    help="sample scenarios whose FIELD is VALUE W times as often (0 "
                         "excludes)"),
    _request_option("--complexity", type=int, help="constraint layers per sample"),
    _request_option("--operator", multiple=True, metavar="NAME",
                    help="complexify only with these operators (repeatable)"),
    _request_option("--noise", type=int, help="noise transformations per sample (the "
                    "method's 2-4; 0-1 for comparisons)"),
    _request_option("--scenario-fields", type=int,
                    help="show the prompt only the first N scenario fields"),
    _request_option("--seed", type=int, help="the sampling seed (same seed: same scenarios)"),
    _request_option("--run-id", help="the run's id (default: generated)"),
    _request_option("--no-cache", is_flag=True,
                    help="always call the model (ignore the LLM response cache)"),
    _request_option("--budget-tokens", type=int, help="stop the run after this many tokens"),
    _request_option("--budget-usd", type=float, help="stop the run after this estimated cost"),
]


def request_options(leave_out: tuple[str, ...] = ()) -> Callable[[Any], Any]:
    """The request's flags (publish, and the experiments' base request), but those that
    set the request fields in `leave_out`."""
    from longweave.cli.request_flags import FLAG_OF_FIELD

    dropped = {FLAG_OF_FIELD.get(field, field) for field in leave_out}

    def decorate(func: Any) -> Any:
        for flag, option in reversed(REQUEST_OPTIONS):
            if flag not in dropped:
                func = option(func)
        return func

    return decorate


def checked_request(flags: dict[str, Any], defaults: dict[str, Any] | None = None
                    ) -> tuple[dict[str, Any], ScenarioRequest]:
    """The request fields the flags (and --file) give, over `defaults`, and the request they
    make, validated; a user error names the flag or the file's field."""
    from pydantic import ValidationError

    from longweave.cli.request_flags import request_fields, where_set
    from longweave.client import build_request, load_request_file

    file: Path | None = flags.get("file")
    try:
        file_fields = load_request_file(file) if file else None
        fields = {**(defaults or {}), **request_fields(flags, file_fields)}
    except (ValueError, OSError) as exc:  # yaml's errors are ValueErrors too
        raise UserError(str(exc)) from None
    given = {"--" + {"filters": "filter"}.get(name, name).replace("_", "-")
             for name, value in flags.items() if value not in (None, (), False)}

    def name_of(path: str) -> str:
        return where_set(path, given, file)

    try:
        return fields, build_request(fields)
    except ValidationError as exc:
        raise UserError(*validation_lines(exc.errors(), fields, name_of)) from None
    except ValueError as exc:
        raise UserError(*problem_lines(str(exc).split("; "), fields, name_of)) from None


def _scenario_flag(path: str) -> str:
    """"filters.domain" -> "--filter domain" ("weights.…" -> "--weight …")."""
    kind, _, field = path.partition(".")
    flag = {"filters": "--filter", "weights": "--weight"}.get(kind, kind)
    return f"{flag} {field}".strip()


async def scenario_problems(request: ScenarioRequest) -> list[str] | None:
    """Why the stored scenarios cannot serve the request's filters and weights (empty: they
    can); None when the store cannot be asked (the sampler checks again anyway)."""
    from pymongo.errors import PyMongoError

    from longweave.catalog import scenario_fields
    from longweave.sampler.logic import request_problems
    from longweave.store import Store

    s = settings()
    store = Store(s.mongodb_uri, s.mongodb_db, server_selection_timeout_ms=STORE_TIMEOUT_MS)
    try:
        catalog = [scenario_fields(doc) for doc in await store.find_scenarios({})]
    except PyMongoError:
        return None
    finally:
        store.close()
    if not catalog:  # the sampler loads the catalog when it starts
        return None
    return request_problems(request, catalog)


@click.command(short_help="publish a scenario request; prints the run id last")
@request_options()
def publish(**flags: Any) -> int:
    """Publish a scenario request to the mesh. Filters and weights are checked against the
    scenario database first, when it is reachable. Prints the run id last."""
    from longweave.client import publish_request

    _, request = checked_request(flags)
    problems = asyncio.run(scenario_problems(request)) if request.filters or \
        request.weights else []
    if problems is None:
        print("note: filters and weights not checked here (the scenario database did not "
              "answer, or holds no scenarios yet): the sampler checks them", file=sys.stderr)
    elif problems:
        raise UserError(*problem_lines(problems, request.model_dump(mode="json"),
                                       _scenario_flag))
    run_id = asyncio.run(publish_request(settings(), request))
    print(f"published request {request.request_id}: {request.count} × {request.paradigm}")
    print(run_id)
    return 0


@click.command(short_help="stop a run: no new work, in-flight work drains")
@click.argument("run_id")
def cancel(run_id: str) -> int:
    """Stop a run: no new work is issued, work in flight drains, then the run ends
    cancelled."""
    from longweave.client import cancel_run

    async def go(store: Any) -> str:
        await require_runs(store, [run_id])
        return await cancel_run(store, run_id)

    outcome = with_store(go)
    messages = {
        "cancelling": "cancel requested: no new work; in-flight work drains, then the run "
                      "ends cancelled",
        "already stopping": "the run is already stopping",
        "finished": "the run has already finished",
        "unknown": "published but not sampled yet: cancel again once `longweave status` "
                   "shows it sampling",
    }
    print(f"{run_id}: {messages[outcome]}")
    return 0 if outcome in ("cancelling", "already stopping") else 1


class ExperimentGroup(click.Group):
    """One subcommand per registered experiment, built when `experiment` itself runs (the
    registry loads entry points: too slow for every `longweave` start)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from longweave.experiments import EXPERIMENTS

        return sorted(EXPERIMENTS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        from longweave.experiments import EXPERIMENTS

        if name not in EXPERIMENTS:
            return None
        spec = EXPERIMENTS[name]

        @click.command(name=name, help=spec.question, short_help=spec.question)
        @request_options(leave_out=(spec.field, "run_id"))
        @out_option("the reports' folder (default: out/experiments/<experiment id>)")
        @click.option("--timeout", type=click.FloatRange(min=0), default=24 * 3600.0,
                      show_default=True, help="seconds to wait for the runs to finish")
        @click.option("--local", is_flag=True,
                      help="start the local stack and the six services for the runs (as the "
                           "demo does, with the toy model's decoding), stop them after")
        def run(out: Path | None, timeout: float, local: bool, **flags: Any) -> int:
            from longweave.experiment_run import run_experiment

            # The base request's errors, named by flag, before any arm is published.
            fields, _ = checked_request(flags, {"count": spec.default_count})
            return run_experiment(settings(), spec, fields, out_dir=out, timeout_s=timeout,
                                  local=local)

        return run


@click.group(cls=ExperimentGroup, short_help="the method's experiments: one run per arm over "
             "the same scenarios, then their reports side by side")
def experiment() -> None:
    """The method's experiments: one run per arm over the same scenarios, then their reports
    side by side."""

