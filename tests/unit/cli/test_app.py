"""The command line as a user meets it (cli/app.py): commands grouped by task, --version,
every command's bad input as one or two lines naming the flag with exit status 2, servers
that do not answer named without their credentials, internal errors logged to a file the
message names, shell completion, and the README's command table made from the commands."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from longweave.cli import app, common
from longweave.cli.app import SECTIONS, _leaves, command_table, main
from longweave.stack import free_loopback_ports

README = Path(__file__).resolve().parents[3] / "README.md"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_no_arguments_lists_the_commands_under_their_tasks(capsys):
    code, out, _ = run(capsys)
    assert code == 0
    headings = [line.rstrip(":") for line in out.splitlines()
                if line.endswith(":") and not line.startswith(" ")]
    assert headings == ["Options", "Run the mesh", "Publish", "Watch", "Export", "Manage data"]
    watch = out.split("Watch:")[1].split("Export:")[0]
    assert [line.split()[0] for line in watch.strip().splitlines()] == [
        "runs", "status", "report"]


def test_version_names_the_package_the_contracts_and_every_prompt(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0
    lines = out.splitlines()
    assert re.fullmatch(r"longweave \d+\.\d+\.\d+\S*", lines[0])
    assert re.fullmatch(r"contracts schema version \d+", lines[1])
    prompts = [line.strip() for line in lines[3:]]
    assert "conversation/segment.j2" in {p.split("@")[0] for p in prompts}
    assert all(re.fullmatch(r"[\w/]+\.j2@v\d+\+[0-9a-f]{8}", p) for p in prompts), prompts


# One bad input per command that runs something, with what its error must say. Each fails
# before any server is asked, so no server runs here; unknown run ids are tested against a
# real store (tests/integration/cli).
BAD_INPUT = {
    "serve": (["serve", "everything"], "'everything' is not one of"),
    "stack": (["stack", "sideways"], "'sideways' is not one of 'up', 'down', 'status'"),
    "demo": (["demo", "--count", "0"], "--count"),
    "publish": (["publish", "--count", "0"],
                "--count: 0 given; input should be greater than or equal to 1"),
    "cancel": (["cancel"], "Missing argument 'RUN_ID'"),
    "experiment fields": (["experiment", "fields", "--scenario-fields", "2"],
                          "No such option '--scenario-fields'"),
    "experiment noise": (["experiment", "noise", "--count", "-1"], "--count: -1 given"),
    "runs": (["runs", "--since", "yesterday"], "--since"),
    "status": (["status", "run-1", "--timeout", "-5"], "--timeout"),
    "report": (["report", "run-1", "--label", "pretty"], "--label"),
    "export": (["export", "run-1", "--format", "parquet", "--out", "x.jsonl"],
               "'parquet' is not one of"),
    "eval claims": (["eval", "claims", "--base-url", "http://x/v1", "--model", "m"],
                    "give exactly one of --run RUN_ID and --file EXPORT.jsonl"),
    "scenarios add": (["scenarios", "add", "no-such-file.yaml"], "no-such-file.yaml"),
    "scenarios export": (["scenarios", "export", "--to", "x"], "No such option '--to'"),
    "scenarios list": (["scenarios", "list", "--filter", "domain"],
                       "--filter: wants FIELD=VALUE, got 'domain'"),
    "scenarios load": (["scenarios", "load", "--file", "no-such-catalog.yaml"],
                       "no-such-catalog.yaml"),
    "documents add": (["documents", "add", "--max-bytes", "0", "a.txt"], "--max-bytes"),
    "documents list": (["documents", "list", "--tag"], "'--tag' requires an argument"),
    "documents remove": (["documents", "remove"], "Missing argument 'DOCUMENT_ID'"),
    "documents show": (["documents", "show"], "Missing argument 'DOCUMENT_ID'"),
    "books add": (["books", "add"], "Missing argument 'PATHS...'"),
    "books list": (["books", "list", "--chapters"], "No such option '--chapters'"),
    "books show": (["books", "show"], "Missing argument 'BOOK_ID'"),
    "judge calibrate": (["judge", "calibrate"], "Missing option '--labels'"),
    "contracts": (["contracts", "--dir"], "'--dir' requires an argument"),
}


def test_every_command_has_a_bad_input_case():
    commands = {path for _, group in SECTIONS for command in group
                for path, _ in _leaves(command, command.name or "")}
    assert commands == set(BAD_INPUT)


@pytest.mark.parametrize("name", sorted(BAD_INPUT))
def test_bad_input_is_one_or_two_lines_naming_the_flag_with_exit_status_2(capsys, name):
    argv, message = BAD_INPUT[name]
    code, out, err = run(capsys, *argv)
    assert code == 2, (out, err)
    assert message in err
    lines = err.strip().splitlines()
    assert 1 <= len(lines) <= 2 and lines[0].startswith("error: "), err
    assert "Traceback" not in err and "http" not in err.replace("http://x/v1", "")


def test_request_errors_name_the_flag_or_the_files_field_never_pydantics_block(capsys,
                                                                               tmp_path):
    code, _, err = run(capsys, "publish", "--count", "2", "--noise", "9")
    assert err == "error: --noise: 9 given; input should be less than or equal to 4\n"
    assert code == 2
    code, _, err = run(capsys, "publish", "--count", "2", "--segments", "0")
    assert err == "error: --segments: 0 given; input should be greater than or equal to 1\n"
    assert code == 2
    request = tmp_path / "r.yaml"
    request.write_text("count: 2\nparadigm: conversation\nbogus: 1\n")
    code, _, err = run(capsys, "publish", "--file", str(request))
    assert err == f"error: bogus in {request}: unknown field (not part of the request)\n"
    assert code == 2
    code, _, err = run(capsys, "publish", "--count", "2", "--paradigm", "poetry")
    assert code == 2 and err.startswith("error: --paradigm: 'poetry' given; unknown paradigm "
                                        "'poetry' (known: claims, conversation")


def test_a_bad_setting_names_its_environment_variable(capsys, monkeypatch):
    monkeypatch.setenv("LONGWEAVE_CONTEXT_BUDGET_TOKENS", "lots")
    code, _, err = run(capsys, "scenarios", "list")
    assert code == 2
    assert err.startswith("error: LONGWEAVE_CONTEXT_BUDGET_TOKENS: 'lots' given; input should "
                          "be a valid integer")


def test_an_unreachable_store_is_named_without_its_password(capsys, monkeypatch):
    monkeypatch.setattr(common, "STORE_TIMEOUT_MS", 300)
    uri = f"mongodb://reader:s3cret@127.0.0.1:{free_loopback_ports(1)[0]}/"  # nothing there
    monkeypatch.setenv("LONGWEAVE_MONGODB_URI", uri)
    code, _, err = run(capsys, "runs")
    assert code == 1
    assert err.splitlines()[0].startswith(
        f"error: cannot reach MongoDB at mongodb://***@127.0.0.1:{uri.rsplit(':', 1)[1]}")
    assert "s3cret" not in err and "Traceback" not in err


def test_an_internal_error_is_one_line_and_its_traceback_goes_to_a_log(capsys, monkeypatch):
    def broken() -> None:
        raise RuntimeError("the flux capacitor is empty")

    monkeypatch.setattr(app.cli, "commands", {**app.cli.commands,
                                             "contracts": click.Command("contracts",
                                                                        callback=broken)})
    code, _, err = run(capsys, "contracts")
    assert code == 1
    first, second = err.strip().splitlines()
    assert first == "error: internal error: RuntimeError: the flux capacitor is empty"
    log = Path(second.removeprefix("  the traceback is in "))
    assert "Traceback" in log.read_text() and "flux capacitor" in log.read_text()


def test_shell_completion_comes_with_the_command():
    env = {**os.environ, "_LONGWEAVE_COMPLETE": "bash_source"}
    script = subprocess.run([sys.executable, "-m", "longweave"], env=env, capture_output=True,
                            text=True, timeout=60, check=True).stdout
    assert "_longweave_completion" in script and "complete " in script
    env = {**os.environ, "_LONGWEAVE_COMPLETE": "bash_complete", "COMP_WORDS": "longweave st",
           "COMP_CWORD": "1"}
    offered = subprocess.run([sys.executable, "-m", "longweave"], env=env, capture_output=True,
                             text=True, timeout=60, check=True).stdout
    assert "plain,stack" in offered and "plain,status" in offered


def test_the_readme_command_table_is_the_one_the_commands_make():
    text = README.read_text(encoding="utf-8")
    begin, end = "<!-- commands: begin -->\n", "<!-- commands: end -->"
    assert begin in text and end in text, "README.md lacks the generated command table"
    assert text.split(begin)[1].split(end)[0] == command_table(), (
        "README.md's command table is stale: paste the output of "
        "`python -c 'from longweave.cli.app import command_table; print(command_table(), "
        "end=\"\")'`")


def test_the_values_spelled_out_for_a_fast_start_match_their_sources():
    """The command modules spell out a few values instead of importing the modules that
    own them (each import costs start-up time); these must not drift from their sources."""
    from longweave import export
    from longweave.cli import export_commands, mesh_commands, watch_commands
    from longweave.settings import SERVICE_NAMES
    from longweave.store import FINISHED_RUN_STATUSES, RUN_END_STATUS

    assert mesh_commands.SERVICES == SERVICE_NAMES
    assert export_commands.FORMATS == export.FORMATS
    assert {*FINISHED_RUN_STATUSES, *RUN_END_STATUS.values()} <= set(watch_commands.RUN_STATES)
