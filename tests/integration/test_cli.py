"""The command line against the real broker and store, as a user meets it (issue 14's
cases): unknown run ids are errors in every command that takes one, and none waits for a run
that will never exist or writes a file for it; a request is known from the moment it is
published; filters are checked against the scenario database before anything is
published; a failed run's reasons and its listing are one command away."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from longweave.store import Store

pytestmark = pytest.mark.integration


@dataclass
class Cli:
    env: dict[str, str]
    db_name: str

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        # No command here may wait for a run: the timeout would fail the test.
        return subprocess.run([sys.executable, "-m", "longweave", *args], env=self.env,
                              capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def cli(servers) -> Cli:
    """`python -m longweave` on its own database and topics of the real servers."""
    tag = uuid.uuid4().hex[:8]
    env = {**os.environ, **servers.env(), "LONGWEAVE_MONGODB_DB": f"cli_{tag}",
           "LONGWEAVE_TOPIC_PREFIX": f"cli{tag}", "LONGWEAVE_TOPIC_PARTITIONS": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(Path("services").resolve()),
                                                       os.environ.get("PYTHONPATH", "")]))}
    return Cli(env, f"cli_{tag}")


@pytest.fixture
async def cli_store(servers, cli) -> AsyncIterator[Store]:
    s = Store(servers.mongodb_uri, cli.db_name)
    yield s
    await s.client.drop_database(cli.db_name)
    s.close()


def unknown_run_error(cli: Cli, run_id: str) -> str:
    return (f"error: no run {run_id!r} in database {cli.db_name!r} (see `longweave runs`)\n")


@pytest.mark.parametrize("argv", [
    ["status", "no-such-run"],
    ["status", "no-such-run", "--wait", "--timeout", "900"],
    ["status", "no-such-run", "--json"],
    ["cancel", "no-such-run"],
    ["export", "no-such-run", "--format", "sft", "--out", "{tmp}/x.jsonl"],
    ["report", "no-such-run", "--out", "{tmp}/report"],
])
def test_an_unknown_run_id_is_a_user_error_that_neither_waits_nor_writes(cli, cli_store,
                                                                         tmp_path, argv):
    result = cli(*(a.replace("{tmp}", str(tmp_path)) for a in argv))
    assert (result.returncode, result.stderr) == (2, unknown_run_error(cli, "no-such-run"))
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []  # no empty export, no report of nothing


def test_publish_checks_filters_and_weights_against_the_scenario_database(cli, cli_store):
    assert cli("scenarios", "load").returncode == 0
    result = cli("publish", "--count", "3", "--filter", "domain=nonexistent")
    assert result.returncode == 2, result.stderr
    first, *rest = result.stderr.splitlines()
    assert first.startswith("error: --filter domain: 'nonexistent' given; no scenario has "
                            "'nonexistent' (values: "), result.stderr
    assert "finance" in first and not rest
    weighted = cli("publish", "--count", "3", "--weight", "tone=grumpy=2")
    assert weighted.returncode == 2
    assert weighted.stderr.startswith("error: --weight tone: no scenario has 'grumpy' "
                                      "(values: "), weighted.stderr
    assert cli("runs", "--json").stdout == ""  # nothing was published


async def test_a_published_run_is_known_before_the_sampler_reads_it(cli, cli_store):
    published = cli("publish", "--count", "2", "--run-id", "run-cli-1")  # no mesh runs here
    assert published.returncode == 0, published.stderr
    assert published.stdout.splitlines()[-1] == "run-cli-1"

    status = cli("status", "run-cli-1", "--json")
    assert status.returncode == 0, status.stderr
    line = json.loads(status.stdout.splitlines()[0])
    assert (line["status"], line["known"], line["finished"]) == ("published", True, False)
    waited = cli("status", "run-cli-1", "--wait", "--timeout", "2")
    assert waited.returncode == 3 and "timed out after 2s" in waited.stderr

    listed = [json.loads(row) for row in cli("runs", "--json").stdout.splitlines()]
    assert [(r["run_id"], r["state"], r["paradigm"], r["requested"]) for r in listed] == [
        ("run-cli-1", "published", "conversation", 2)]
    assert cli("runs", "--status", "complete", "--json").stdout == ""
    table = cli("runs")
    assert table.returncode == 0 and "run-cli-1" in table.stdout and "published" in table.stdout

    exported = cli("export", "run-cli-1", "--out", str(Path(cli_store.db.name) / "x.jsonl"))
    assert exported.returncode == 1
    assert "run run-cli-1 has no accepted records yet" in exported.stderr
    Path(cli_store.db.name, "x.jsonl").unlink(missing_ok=True)
    Path(cli_store.db.name, "README.md").unlink(missing_ok=True)
    Path(cli_store.db.name).rmdir()


async def test_status_shows_a_failed_runs_top_reasons_and_runs_lists_it(cli, cli_store):
    created = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    await cli_store.create_run({
        "_id": "run-failed", "request_id": "req-failed", "requested": 3,
        "request": {"paradigm": "conversation"}, "status": "failed", "created_at": created,
        "error": "filters.domain: no scenario has 'astrology' (values: finance, legal)"})
    await cli_store.create_run({
        "_id": "run-lossy", "request_id": "req-lossy", "requested": 4, "accepted": 1,
        "dead_lettered": 3, "request": {"paradigm": "instruction"}, "status": "complete",
        "created_at": created})
    for n, reason in enumerate(["token_window: 812 tokens outside 900-1100",
                                "token_window: 790 tokens outside 900-1100",
                                "judge: faithfulness 2 < 3"]):
        await cli_store.save_dead_letter({
            "_id": f"sample:s{n}", "kind": "attempts_exhausted", "run_id": "run-lossy",
            "sample_id": f"s{n}", "reasons": [reason], "source_topic": "x"})

    failed = cli("status", "run-failed")
    assert failed.returncode == 1  # a failed run
    assert "no scenario has 'astrology'" in failed.stdout.splitlines()[0]
    lossy = cli("status", "run-lossy")
    assert lossy.returncode == 0
    reasons = lossy.stdout.splitlines()[1:3]
    assert reasons[0].startswith("  2× token_window: ") and "(e.g. sample s" in reasons[0]
    assert reasons[1].startswith("  1× judge: faithfulness 2 < 3")
    as_json = json.loads(cli("status", "run-lossy", "--json").stdout.splitlines()[0])
    assert [r["count"] for r in as_json["reasons"]] == [2, 1]

    listed = [json.loads(r) for r in cli("runs", "--status", "failed", "--json").stdout
              .splitlines()]
    assert [r["run_id"] for r in listed] == ["run-failed"]
    assert [json.loads(r)["run_id"] for r in cli("runs", "--paradigm", "instruction",
                                                 "--json").stdout.splitlines()] == ["run-lossy"]
    assert cli("runs", "--since", "1h", "--json").stdout == ""  # both were created days ago
