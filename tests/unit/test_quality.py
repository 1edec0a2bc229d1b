"""Quality figures from drafts: rejection rates per check (near-duplicates as the duplicate
rate), judge pass rates and means per axis, yield; and runs side by side."""

from longweave.quality import run_quality, side_by_side


def check(name, passed=True):
    return {"name": name, "passed": passed}


def judged(validity, grounding, failed=()):
    return {"scores": {"validity": {"score": validity}, "grounding": {"score": grounding}},
            "failed_axes": list(failed)}


RUN = {"_id": "run-a", "requested": 4, "accepted": 3, "dead_lettered": 1,
       "request": {"paradigm": "claims", "params": {"strategy": "clipper"}, "count": 4}}
DRAFTS = [
    {"validation": {"checks": [check("near_duplicate", False), check("truncation")]}},
    {"validation": {"checks": [check("claim_pair_minimal", False),
                               check("near_duplicate", False)]}},
    {"validation": {"checks": [check("near_duplicate")]}, "judgment": judged(5, 4)},
    {"validation": {"checks": [check("near_duplicate")]},
     "judgment": judged(2, 4, ["validity"])},
    {"validation": {"checks": []}, "judgment": judged(5, 2, ["grounding"])},
    {},  # a draft the generator wrote but no check has read yet
]


def test_a_runs_figures_count_each_stage_against_the_drafts_that_reached_it():
    found = run_quality(RUN, DRAFTS)
    assert (found["drafts"], found["validated"], found["judged"]) == (6, 5, 3)
    assert found["duplicate_rate"] == 2 / 5
    assert found["check_failure_rates"] == {"claim_pair_minimal": 1 / 5,
                                            "near_duplicate": 2 / 5}
    assert found["axis_pass_rates"] == {"grounding": 2 / 3, "validity": 2 / 3}
    assert found["axis_means"] == {"grounding": 10 / 3, "validity": 4.0}
    assert (found["yield"], found["strategy"]) == (0.75, "clipper")


def test_runs_side_by_side_show_what_each_has_and_a_dash_for_the_rest():
    other = run_quality({"_id": "run-b", "requested": 2, "accepted": 0,
                         "request": {"paradigm": "claims",
                                     "params": {"strategy": "naive"}}}, [])
    table = side_by_side([run_quality(RUN, DRAFTS), other]).splitlines()
    assert table[0] == "| | run-a | run-b |"
    rows = {line.split(" | ")[0].strip("| "): line for line in table[2:]}
    assert rows["strategy"].endswith("| clipper | naive |")
    assert rows["duplicate rate"].endswith("| 40% | - |")
    assert rows["judge validity: passed (mean)"].endswith("| 67% (4.00) | - |")
    assert rows["accepted / requested"].endswith("| 3 / 4 | 0 / 2 |")
