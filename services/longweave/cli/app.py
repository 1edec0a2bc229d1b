"""The `longweave` command: its commands grouped by task, `--version`, and one exit-status
rule for all of them: 0 done, 1 failed (a server down, a run that failed, nothing to
export), 2 a user error (a flag, a value, a file, an unknown run id), 3 timed out.

click, not typer: a two-command typer app took 0.28-0.45 s to print its help here, click
0.10 s, and `longweave --help` must stay under 0.5 s. rich draws tables and progress, and is
imported only by the commands that draw them."""

from __future__ import annotations

import sys
from typing import Any

import click

from longweave.cli.data_commands import books, contracts, documents, judge, scenarios
from longweave.cli.errors import FAILED, USER_ERROR, UserError, log_internal_error, print_error
from longweave.cli.export_commands import evaluate, export
from longweave.cli.mesh_commands import demo, serve, stack
from longweave.cli.publish_commands import cancel, experiment, publish
from longweave.cli.watch_commands import report, runs, status

# (task, its commands), in the order `longweave` lists them.
SECTIONS: tuple[tuple[str, tuple[click.Command, ...]], ...] = (
    ("Run the mesh", (serve, stack, demo)),
    ("Publish", (publish, cancel, experiment)),
    ("Watch", (runs, status, report)),
    ("Export", (export, evaluate)),
    ("Manage data", (scenarios, documents, books, judge, contracts)),
)


class TaskGroup(click.Group):
    """Lists its commands under the task they serve, not alphabetically."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [command.name or "" for _, commands in SECTIONS for command in commands]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(name) for name in self.list_commands(ctx))
        for task, commands in SECTIONS:
            with formatter.section(task):
                formatter.write_dl([(c.name or "", c.get_short_help_str(limit))
                                    for c in commands])


def _print_version(ctx: click.Context, _: Any, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from longweave.versions import version_lines

    for line in version_lines():
        click.echo(line)
    ctx.exit(0)


@click.group(cls=TaskGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"],
                               "max_content_width": 100})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_print_version,
              help="the version, the contracts' schema version and the prompt versions")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """longweave: synthetic long-context training data from an event-driven mesh of six
    services (sampler, generator, stitcher, validator, judge, sink) over Kafka and MongoDB.

    Settings come from LONGWEAVE_* environment variables. Shell completion (bash, zsh,
    fish): eval "$(_LONGWEAVE_COMPLETE=bash_source longweave)"."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


for _, _commands in SECTIONS:
    for _command in _commands:
        cli.add_command(_command)


def command_table() -> str:
    """The README's table of commands, made from the commands themselves (a test keeps the
    README's copy equal to this)."""
    rows = ["| task | command | what it does |", "|---|---|---|"]
    for task, commands in SECTIONS:
        for command in commands:
            for path, leaf in _leaves(command, command.name or ""):
                rows.append(f"| {task} | `longweave {path}` | "
                            f"{leaf.get_short_help_str(limit=200)} |")
    return "\n".join(rows) + "\n"


def _leaves(command: click.Command, path: str) -> list[tuple[str, click.Command]]:
    """The commands that run something, under `command`, with their paths."""
    if not isinstance(command, click.Group):
        return [(path, command)]
    ctx = click.Context(command)
    return [leaf for name in command.list_commands(ctx)
            for leaf in _leaves(command.get_command(ctx, name), f"{path} {name}")]  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (see the module's docstring)."""
    from longweave.cli.common import reset_settings

    args = sys.argv[1:] if argv is None else list(argv)
    reset_settings()  # read the environment as it is now (tests call main more than once)
    try:
        result = cli.main(args=args, prog_name="longweave", standalone_mode=False)
        return int(result or 0)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        print("interrupted", file=sys.stderr)
        return 130
    except click.UsageError as exc:
        hint = f"see `{exc.ctx.command_path} --help`" if exc.ctx is not None else ""
        print_error(exc.format_message(), *([hint] if hint else []))
        return USER_ERROR
    except click.ClickException as exc:  # e.g. a file that cannot be opened
        print_error(exc.format_message())
        return USER_ERROR
    except UserError as exc:
        print_error(*exc.lines)
        return USER_ERROR
    except Exception as exc:  # noqa: BLE001 - the one place that turns failures into a line
        return _failed(exc, args)


def _failed(exc: Exception, args: list[str]) -> int:
    """A server that cannot be reached is named, without its credentials; anything else is
    a bug: one line, and the traceback in a log file."""
    from longweave.cli.errors import redact_uri

    server = _unreachable_server(exc)
    if server is not None:
        from longweave.cli.common import settings

        where = redact_uri(settings().mongodb_uri) if server == "MongoDB" else \
            settings().kafka_bootstrap
        print_error(f"cannot reach {server} at {where} ({type(exc).__name__})",
                    "is it running? `longweave stack up` starts local servers")
        return FAILED
    path = log_internal_error(exc, args)
    print_error(f"internal error: {type(exc).__name__}: {exc}", f"the traceback is in {path}")
    return FAILED


def _unreachable_server(exc: Exception) -> str | None:
    """"MongoDB" or "Kafka" when `exc` says the server did not answer (matched by name: the
    client libraries are not imported just to classify an error)."""
    module, name = type(exc).__module__, type(exc).__name__
    if module.startswith("pymongo") and name in (
            "ServerSelectionTimeoutError", "AutoReconnect", "NetworkTimeout"):
        return "MongoDB"
    if module.startswith(("aiokafka", "kafka")) and "Connection" in name:
        return "Kafka"
    return None
