"""The method's experiments as requests: one per arm, the same base, one field apart."""

import pytest

from longweave.client import build_request
from longweave.experiments import EXPERIMENTS, arm_requests, experiment_id

BASE = {"paradigm": "conversation", "count": 4, "seed": 3,
        "params": {"segments": 2, "turns_per_segment": 2}}


@pytest.mark.parametrize("name, field, values", [
    ("noise", "noise_transformations", [0, 1, 2]),
    ("fields", "scenario_fields", [1, 3, 5]),
])
def test_each_arm_is_the_base_request_with_its_value_and_a_run_of_its_own(name, field, values):
    arms = arm_requests(EXPERIMENTS[name], BASE)
    assert [fields[field] for _, fields in arms] == values
    for _, fields in arms:
        request = build_request(fields)  # every arm is a valid request
        assert {k: fields[k] for k in BASE} == BASE
        assert request.run_id.startswith(experiment_id(name, BASE))
    assert len({fields["run_id"] for _, fields in arms}) == 3


def test_the_same_experiment_on_the_same_base_resumes_the_same_runs():
    again = arm_requests(EXPERIMENTS["noise"], dict(BASE))
    assert [f["run_id"] for _, f in again] == [
        f["run_id"] for _, f in arm_requests(EXPERIMENTS["noise"], BASE)]
    other = arm_requests(EXPERIMENTS["noise"], {**BASE, "seed": 4})
    assert other[0][1]["run_id"] != again[0][1]["run_id"]


def test_the_base_may_not_set_the_field_the_experiment_varies():
    with pytest.raises(ValueError, match="sets noise_transformations itself"):
        arm_requests(EXPERIMENTS["noise"], {**BASE, "noise_transformations": 2})
