"""Human labels against the judge's verdicts: parsing the labels file, and the figures."""

import json

import pytest

from longweave.judge.calibration import (
    AxisVerdict,
    Label,
    LabelError,
    calibrate,
    calibration_table,
    cohen_kappa,
    read_labels,
    verdicts_of,
)


def test_csv_and_jsonl_labels_read_alike(tmp_path):
    csv_file = tmp_path / "labels.csv"
    csv_file.write_text("record_id,axis,label,note\nrun-1-000000,coherence,PASS,ok\n"
                        "run-1-000001:a2,tone_fidelity,2,\n")
    jsonl = tmp_path / "labels.jsonl"
    jsonl.write_text(json.dumps({"record_id": "run-1-000000", "axis": "coherence",
                                 "label": "pass"}) + "\n\n" +
                     json.dumps({"record_id": "run-1-000001:a2", "axis": "tone_fidelity",
                                 "label": 2}) + "\n")
    expected = [Label("run-1-000000", "coherence", passed=True),
                Label("run-1-000001:a2", "tone_fidelity", score=2)]
    assert read_labels(csv_file) == read_labels(jsonl) == expected


@pytest.mark.parametrize("content, message", [
    ("record_id,axis\nx,coherence\n", "header must name"),
    ("record_id,axis,label\nx,coherence,maybe\n", "labels.csv:2: label 'maybe'"),
    ("record_id,axis,label\nx,,pass\n", "labels.csv:2: missing axis"),
    ("record_id,axis,label\nx,coherence,6\n", "neither pass/fail nor a score"),
    ("record_id,axis,label\nx,coherence,pass\nx,coherence,fail\n", "labelled twice"),
    ("record_id,axis,label\n", "no labels"),
])
def test_a_bad_labels_file_names_the_line_at_fault(tmp_path, content, message):
    path = tmp_path / "labels.csv"
    path.write_text(content)
    with pytest.raises(LabelError, match=message):
        read_labels(path)


def test_an_unparseable_jsonl_line_is_named(tmp_path):
    path = tmp_path / "labels.jsonl"
    path.write_text('{"record_id": "x", "axis": "a", "label": "pass"}\n{oops\n')
    with pytest.raises(LabelError, match="labels.jsonl:2: not JSON"):
        read_labels(path)


def test_a_judgment_passes_every_axis_but_its_failed_ones():
    judgment = {"scores": {"coherence": {"score": 4, "rationale": "."},
                           "tone_fidelity": {"score": 2, "rationale": "."}},
                "failed_axes": ["tone_fidelity"]}
    assert verdicts_of(judgment) == {"coherence": AxisVerdict(4, True),
                                     "tone_fidelity": AxisVerdict(2, False)}


def test_precision_recall_f1_agreement_and_kappa_per_axis():
    # coherence: humans pass r1 r2 r3, fail r4 r5; the judge passes r1 r2 r4, fails r3 r5.
    human = {"r1": True, "r2": True, "r3": True, "r4": False, "r5": False}
    judge = {"r1": True, "r2": True, "r3": False, "r4": True, "r5": False}
    labels = [Label(r, "coherence", passed=p) for r, p in human.items()]
    verdicts = {r: {"coherence": AxisVerdict(4 if p else 2, p)} for r, p in judge.items()}
    axis = calibrate(labels, verdicts, {"coherence": 3})["axes"]["coherence"]
    assert (axis["tp"], axis["fp"], axis["fn"], axis["tn"]) == (2, 1, 1, 1)
    assert axis["precision"] == pytest.approx(2 / 3) and axis["recall"] == pytest.approx(2 / 3)
    assert axis["f1"] == pytest.approx(2 / 3) and axis["agreement"] == pytest.approx(3 / 5)
    # chance agreement: 0.6·0.6 + 0.4·0.4 = 0.52 → (0.6 - 0.52) / 0.48
    assert axis["kappa"] == pytest.approx(0.08 / 0.48)
    assert axis["score_mae"] is None


def test_scores_pass_at_the_threshold_and_report_their_distance_from_the_judge():
    labels = [Label("r1", "tone", score=3), Label("r2", "tone", score=2),
              Label("r3", "tone", score=5)]
    verdicts = {"r1": {"tone": AxisVerdict(3, True)}, "r2": {"tone": AxisVerdict(4, True)},
                "r3": {"tone": AxisVerdict(1, False)}}
    axis = calibrate(labels, verdicts, {"tone": 3})["axes"]["tone"]
    assert (axis["tp"], axis["fp"], axis["fn"], axis["tn"]) == (1, 1, 1, 0)
    assert axis["score_mae"] == pytest.approx((0 + 2 + 4) / 3)
    stricter = calibrate(labels, verdicts, {"tone": 4})["axes"]["tone"]
    assert (stricter["tp"], stricter["fp"], stricter["fn"]) == (0, 2, 1)


def test_labels_without_a_judgment_are_listed_not_counted():
    labels = [Label("r1", "coherence", passed=True), Label("gone", "coherence", passed=True),
              Label("r1", "no_such_axis", passed=False)]
    result = calibrate(labels, {"r1": {"coherence": AxisVerdict(5, True)}}, {})
    assert result["axes"]["coherence"]["labels"] == 1
    assert [u["why"] for u in result["unmatched"]] == [
        "no judgment of this record", "the judgment has no such axis"]
    assert "2 labels matched no judgment" in calibration_table(result)


def test_undefined_figures_are_none_not_a_division_error():
    assert cohen_kappa([]) is None and cohen_kappa([(True, True), (True, True)]) is None
    labels = [Label("r1", "a", passed=False)]
    axis = calibrate(labels, {"r1": {"a": AxisVerdict(1, False)}}, {})["axes"]["a"]
    assert axis["precision"] is None and axis["recall"] is None and axis["f1"] is None
    assert axis["agreement"] == 1.0
    assert "| a | 1 | - | - | - | 1.00 | - | - |" in calibration_table({"axes": {"a": axis},
                                                                        "unmatched": []})
