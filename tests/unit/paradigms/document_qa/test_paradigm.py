"""document_qa through its contract: params, the corpus filter, requests the corpus cannot
serve, unit calls that show passages (never the whole context), and export rows."""

import pytest
from pydantic import ValidationError

from longweave.paradigms.base import UnitInput
from support.documents import corpus_entries, document_qa, record_for, sample_for
from support.samples import CREATED, make_draft

ENTRIES, TEXTS = corpus_entries()
PARAMS = {"context_tokens": 3000, "pairs": 3, "min_hop_tokens": 300,
          "task_types": ["extraction", "multi_hop", "unanswerable"]}


def test_params_and_the_corpus_filter():
    params = document_qa.parse_params({"tags": ["novel"], "collection": "books"})
    assert params.context_tokens == 8000 and len(params.task_types) == 6
    assert document_qa.document_filter(params) == {"collection": "books",
                                                   "tags": {"$all": ["novel"]}}
    with pytest.raises(ValidationError):
        document_qa.parse_params({"task_types": ["poetry"]})


def test_requests_the_corpus_cannot_serve_say_why():
    params = document_qa.parse_params(PARAMS)
    assert document_qa.problems(params, ENTRIES) == []
    too_long = document_qa.parse_params({**PARAMS, "context_tokens": 500_000})
    assert "the longest matching document has" in document_qa.problems(too_long, ENTRIES)[0]
    too_far = document_qa.parse_params({**PARAMS, "context_tokens": 1000})  # hops of 300
    assert document_qa.problems(too_far, ENTRIES) == []
    too_far = document_qa.parse_params({**PARAMS, "context_tokens": 1000, "min_hop_tokens": 600})
    assert "does not fit twice" in document_qa.problems(too_far, ENTRIES)[0]


def test_a_unit_prompt_shows_its_passages_and_the_map_not_the_context():
    sample, context = sample_for(PARAMS, ENTRIES, TEXTS, 0)
    for n, plan in enumerate(sample.material["units"]):
        call = document_qa.unit_call(UnitInput(sample=sample,
                                               params=document_qa.params_of(sample), index=n))
        prompt = document_qa.prompts.render(call.template, **call.variables)
        text = "\n".join(m["content"] for m in prompt.messages)
        assert all(p["text"] in text for p in plan["passages"])
        assert f"Task: {plan['task_type']}" in text
        assert len(text) < len(context) / 2  # bounded by the passages, not the context
        assert (call.json_schema["properties"]["evidence"]["maxItems"] == 0) == \
            (plan["task_type"] == "unanswerable")


@pytest.mark.parametrize("in_system", [False, True])
def test_sft_rows_carry_the_context_once_then_the_pairs(in_system):
    sample, context = sample_for({**PARAMS, "context_in_system": in_system}, ENTRIES, TEXTS, 1)
    record = {**record_for(sample, context), "sample_id": "s1", "spec": sample.spec.model_dump()}
    messages = document_qa.export_row("sft", record)["messages"]
    if in_system:
        assert messages[0]["role"] == "system" and context in messages[0]["content"]
        assert [m["role"] for m in messages[1:]] == ["user", "assistant"] * 3
    else:
        assert messages[0]["content"].startswith(context)
        assert [m["role"] for m in messages] == ["user", "assistant"] * 3
    assert sum(context in m["content"] for m in messages) == 1


def test_dpo_pairs_only_a_draft_rejected_for_its_faithfulness():
    sample, context = sample_for(PARAMS, ENTRIES, TEXTS, 2)
    record = {**record_for(sample, context), "sample_id": "s2", "spec": sample.spec.model_dump()}
    worse = {**record_for(sample, context), "pairs": [
        {**p, "answer": "Something the passage never says."} for p in record["pairs"]]}
    unfaithful = make_draft(worse, judgment={"failed_axes": ["faithfulness"]})
    row = document_qa.dpo_row(record, unfaithful)
    assert row["prompt"][0]["content"].startswith(context) and len(row["prompt"]) == 1
    assert row["chosen"][0]["content"] == record["pairs"][0]["answer"]
    assert row["rejected"][0]["content"] == "Something the passage never says."
    too_easy = make_draft(worse, judgment={"failed_axes": ["difficulty"]})
    assert document_qa.dpo_row(record, too_easy) is None
    other_questions = make_draft({**worse, "pairs": [{**p, "question": "Another question?"}
                                                     for p in worse["pairs"]]},
                                 judgment={"failed_axes": ["faithfulness"]})
    assert document_qa.dpo_row(record, other_questions) is None


def test_document_layers_are_drawn_from_its_operators_and_checked_on_the_answers():
    import longweave.validator.checks  # noqa: F401 - registers constraint_layers
    from longweave.catalog import load_catalog
    from longweave.checks import CheckInput, run_checks
    from longweave.client import build_request
    from longweave.complexify import operator_names
    from longweave.sampler.logic import build_samples, choose_scenarios

    request = build_request({"paradigm": "document_qa", "count": 6, "complexity": 2,
                             "params": PARAMS})
    picks = choose_scenarios([dict(s) for s in load_catalog()], 6, 0)
    samples = build_samples(request, picks, created_at=CREATED)
    drawn = {layer["operator"] for s in samples for layer in s.layers}
    assert drawn and drawn <= set(operator_names("document_qa"))
    sample, context = sample_for(PARAMS, ENTRIES, TEXTS, 0)
    sample = sample.model_copy(update={"layers": [
        {"operator": "answer_length", "instruction": "short",
         "spec": {"check": "max_words_per_turn", "role": "assistant", "value": 5}}]})
    params = document_qa.params_of(sample)
    call = document_qa.unit_call(UnitInput(sample=sample, params=params, index=0))
    prompt = document_qa.prompts.render(call.template, **call.variables)
    assert "- short" in prompt.messages[-1]["content"]
    content = record_for(sample, context)
    draft = CheckInput(parts=document_qa.parts(content, params), spec=sample.spec,
                       params=params, content=content, layers=sample.layers)
    failed = {r.name for r in run_checks("document_qa", draft) if not r.passed}
    assert "constraint_layers" in failed  # the clean answers are longer than 5 words
