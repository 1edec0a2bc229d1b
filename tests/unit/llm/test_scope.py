from longweave.contracts import RunBudget, SampleSpec, ScenarioRequest
from longweave.llm.scope import CallScope, budget_exceeded
from longweave.sampler.logic import sample_spec
from support.samples import make_sample


def test_budget_by_tokens_or_cost():
    assert budget_exceeded({"prompt_tokens": 10, "completion_tokens": 5}, RunBudget()) is None
    tokens = RunBudget(max_tokens=15)
    assert budget_exceeded({"prompt_tokens": 10, "completion_tokens": 4}, tokens) is None
    assert "15 tokens" in budget_exceeded({"prompt_tokens": 10, "completion_tokens": 5}, tokens)
    cost = RunBudget(max_cost_usd=0.5)
    assert budget_exceeded({"cost_usd": 0.49}, cost) is None
    assert "$0.5" in budget_exceeded({"cost_usd": 0.5}, cost)


def test_scope_of_a_sample_carries_the_request_switch_and_budget():
    request = ScenarioRequest(request_id="r", run_id="run-1", count=1, cache=False,
                              budget={"max_tokens": 1000})
    sample = make_sample("run-1-000000", spec=sample_spec(request), attempt=2)
    scope = CallScope.for_sample(sample, "conversation/segment.j2@v1+abc", purpose="segment")
    assert scope == CallScope(run_id="run-1", template_version="conversation/segment.j2@v1+abc",
                              cache=False, budget=RunBudget(max_tokens=1000),
                              sample_id="run-1-000000", attempt=2, purpose="segment")
    assert scope.record_fields()["sample_id"] == "run-1-000000"


def test_samples_written_before_the_switch_existed_use_the_cache():
    spec = SampleSpec.model_validate({"paradigm": "conversation", "units": 2})
    scope = CallScope.for_sample(make_sample(spec=spec), None)
    assert scope.cache and scope.budget == RunBudget()


def test_publish_flags_set_the_cache_switch_and_budget():
    from longweave.cli.request_flags import request_fields
    from longweave.client import build_request

    request = build_request(request_fields({"count": 2, "no_cache": True,
                                            "budget_tokens": 5000, "budget_usd": 1.5}))
    assert request.cache is False
    assert request.budget == RunBudget(max_tokens=5000, max_cost_usd=1.5)
    assert build_request({"count": 1}).cache is True
