"""The method's experiments end to end on the local model, at a small size: `longweave
experiment` publishes one run per arm to the mesh, waits for them, and writes their
report side by side, whose numbers are checked against MongoDB. (The toy model's figures
are whatever they are: the subject is that the arms differ in exactly one field and the
report tells them apart.)"""

import json
import subprocess
import sys

import pytest
from bs4 import BeautifulSoup

from longweave.demo import LOCAL_MODEL_ENV

pytestmark = pytest.mark.e2e

SMALL = ["--count", "2", "--param", "segments=1", "--param", "turns_per_segment=2",
         "--param", "target_tokens=160", "--param", "length_tolerance=1.0",
         "--complexity", "0", "--max-attempts", "2", "--judge-min-score", "1", "--seed", "3"]


def run_experiment(mesh, name, out):
    return subprocess.run([sys.executable, "-m", "longweave", "experiment", name, *SMALL,
                           "--out", str(out)], env=mesh.env, capture_output=True, text=True,
                          timeout=1500)


async def check_report(mesh, out, labels, field):
    report = json.loads((out / "report.json").read_text())
    runs = {run["label"]: run for run in report["runs"]}
    assert list(runs) == labels
    scenarios = []
    for label, run in runs.items():
        samples = await mesh.store.db.samples.find({"run_id": run["run_id"]}).sort(
            "index").to_list(None)
        assert len(samples) == run["funnel"]["requested"] == 2
        accepted = await mesh.store.db.records.count_documents({"run_id": run["run_id"]})
        assert run["funnel"]["accepted"] == accepted
        assert run["funnel"]["accepted"] + run["funnel"]["dead_lettered"] == 2
        scenarios.append([s["scenario_id"] for s in samples])
        field(label, samples)
        assert set(run["diversity"]) >= {"distinct_1", "distinct_2", "distinct_3", "self_bleu",
                                         "similarity"}
    assert scenarios[0] == scenarios[1] == scenarios[2]  # same scenarios in every arm
    page = BeautifulSoup((out / "report.html").read_text(), "html.parser")
    assert not page.find_all("script")
    text = page.get_text(" ")
    assert all(label in text for label in labels)
    assert all(img["src"].startswith("data:image/png;base64,") for img in page.find_all("img"))
    return report


async def test_the_noise_experiment_compares_zero_one_and_two_transformations(
        start_mesh, tmp_path):
    mesh = start_mesh(**LOCAL_MODEL_ENV)
    done = run_experiment(mesh, "noise", tmp_path / "noise")
    assert done.returncode == 0, done.stdout + done.stderr + mesh.log_tail()
    assert f"report: {tmp_path / 'noise' / 'report.html'}" in done.stdout

    def noise_level(label, samples):
        assert all(len(s["sampled"]["noise"]) == int(label[-1]) for s in samples)

    await check_report(mesh, tmp_path / "noise", ["noise-0", "noise-1", "noise-2"],
                       noise_level)
    # Run again: the same runs (ids from the experiment and its base), nothing republished.
    again = run_experiment(mesh, "noise", tmp_path / "noise")
    assert again.returncode == 0, again.stderr
    assert await mesh.store.db.runs.count_documents({}) == 3


async def test_the_fields_experiment_compares_prompts_of_one_three_and_five_fields(
        start_mesh, tmp_path):
    mesh = start_mesh(**LOCAL_MODEL_ENV)
    done = run_experiment(mesh, "fields", tmp_path / "fields")
    assert done.returncode == 0, done.stdout + done.stderr + mesh.log_tail()

    def fields_shown(label, samples):
        assert all(s["spec"]["scenario_fields"] == int(label[-1]) for s in samples)

    await check_report(mesh, tmp_path / "fields", ["fields-1", "fields-3", "fields-5"],
                       fields_shown)
