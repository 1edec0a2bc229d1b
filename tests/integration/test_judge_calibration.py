"""`longweave judge calibrate` against judgments stored in the real MongoDB-wire server: a
sample id stands for the judgment that accepted it (or its last judged draft), a draft id
for that attempt's judgment."""

import asyncio
import json
import uuid

import pytest

from longweave.cli import main
from longweave.store import Store
from support.samples import make_draft, make_sample

pytestmark = pytest.mark.integration


def judgment(draft_id: str, scores: dict[str, int], failed: list[str]) -> dict:
    return {"passed": not failed, "failed_axes": failed,
            "scores": {a: {"score": s, "rationale": "."} for a, s in scores.items()},
            "run_id": "run-c", "sample_id": draft_id.partition(":")[0],
            "attempt": int(draft_id.rpartition(":a")[2]), "draft_id": draft_id}


async def seed(uri: str, db: str) -> None:
    store = Store(uri, db)
    try:
        await store.create_samples([
            make_sample("run-c-000000", accepted_attempt=2, stage="accepted"),
            make_sample("run-c-000001", stage="dead_lettered"),
            make_sample("run-c-000002", stage="dead_lettered"),
        ])
        drafts = [
            ("run-c-000000:a1", {"coherence": 4, "tone_fidelity": 2}, ["tone_fidelity"]),
            ("run-c-000000:a2", {"coherence": 5, "tone_fidelity": 4}, []),
            ("run-c-000001:a1", {"coherence": 1, "tone_fidelity": 3}, ["coherence"]),
            ("run-c-000001:a2", {"coherence": 4, "tone_fidelity": 1}, ["tone_fidelity"]),
        ]
        for draft_id, scores, failed in drafts:
            await store.save_draft(make_draft({"messages": []}, draft_id, run_id="run-c",
                                              attempt=int(draft_id[-1]),
                                              judgment=judgment(draft_id, scores, failed)))
        await store.save_draft(make_draft({"messages": []}, "run-c-000002:a1", run_id="run-c"))
    finally:
        store.close()


def test_labels_are_matched_to_the_judgments_they_name(servers, tmp_path, monkeypatch, capsys):
    db = f"cal_{uuid.uuid4().hex[:8]}"
    asyncio.run(seed(servers.mongodb_uri, db))
    for name, value in {**servers.env(), "LONGWEAVE_MONGODB_DB": db}.items():
        monkeypatch.setenv(name, value)
    labels = tmp_path / "labels.jsonl"
    labels.write_text("\n".join(json.dumps(row) for row in [
        # the accepted judgment (attempt 2): passes both axes
        {"record_id": "run-c-000000", "axis": "coherence", "label": "pass"},
        {"record_id": "run-c-000000", "axis": "tone_fidelity", "label": 4},
        # attempt 1 of the same sample: the judge failed a tone humans pass (over-rejection)
        {"record_id": "run-c-000000:a1", "axis": "tone_fidelity", "label": "pass"},
        # a dead-lettered sample: its last judged draft is attempt 2 (coherence 4, passed)
        {"record_id": "run-c-000001", "axis": "coherence", "label": "fail"},
        {"record_id": "run-c-000001:a1", "axis": "coherence", "label": 2},
        # never judged, and never stored
        {"record_id": "run-c-000002", "axis": "coherence", "label": "pass"},
        {"record_id": "run-x-000009", "axis": "coherence", "label": "pass"},
    ]))
    assert main(["judge", "calibrate", "--labels", str(labels), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    coherence, tone = result["axes"]["coherence"], result["axes"]["tone_fidelity"]
    assert (coherence["tp"], coherence["fp"], coherence["fn"], coherence["tn"]) == (1, 1, 0, 1)
    assert (tone["tp"], tone["fp"], tone["fn"], tone["tn"]) == (1, 0, 1, 0)
    assert tone["recall"] == 0.5 and tone["score_mae"] == 0.0
    assert result["thresholds"]["coherence"] == 3  # the conversation rubric's
    assert sorted(u["record_id"] for u in result["unmatched"]) == ["run-c-000002",
                                                                   "run-x-000009"]

    assert main(["judge", "calibrate", "--labels", str(labels)]) == 0
    table = capsys.readouterr().out
    assert "| tone_fidelity | 2 | 1.00 | 0.50 | 0.67 | 0.50 |" in table
    assert "2 labels matched no judgment" in table
