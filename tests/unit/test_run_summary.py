from datetime import UTC, datetime, timedelta

import pytest

from longweave.run_summary import (
    newest_first,
    parse_since,
    published_row,
    reason_kind,
    run_row,
    throughput_and_eta,
    top_reasons,
    usage_totals,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


# -- parse_since -------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "age"), [
    ("30m", timedelta(minutes=30)), ("2h", timedelta(hours=2)), ("2d", timedelta(days=2)),
    ("1w", timedelta(weeks=1)), (" 90m ", timedelta(minutes=90)),
])
def test_an_age_is_a_number_and_a_unit(text, age):
    assert parse_since(text) == age


@pytest.mark.parametrize("text", ["", "30", "m", "2 h", "1.5h", "-2d", "0m", "2y", "2H"])
def test_other_ages_are_refused_on_one_line_naming_the_forms(text):
    with pytest.raises(ValueError) as raised:
        parse_since(text)
    message = str(raised.value)
    assert "\n" not in message and repr(text) in message
    assert "30m, 2h, 2d, 1w" in message


# -- reasons -----------------------------------------------------------------------------

def test_reasons_differing_in_numbers_are_one_kind():
    assert reason_kind("token_window: 812 tokens outside 900-1100") == \
        reason_kind("token_window: 790 tokens outside 900-1100")
    assert reason_kind("handler failed 4 times: TimeoutError: after 30s") == \
        reason_kind("handler failed 5 times: TimeoutError: after 12s")
    assert reason_kind("near_duplicate: near-duplicate of run-20260501-a1b2c3-000004") == \
        reason_kind("near_duplicate: near-duplicate of run-20260501-a1b2c3-000017")


def test_a_judges_axes_stay_apart():
    coherence = reason_kind("judge: coherence scored 2/5 (needs 3): drifts off topic")
    assert coherence == reason_kind("judge: coherence scored 1/5 (needs 3): repeats itself")
    assert coherence != reason_kind("judge: realism scored 2/5 (needs 3): stilted")


def test_a_reason_without_a_label_is_its_masked_text():
    assert reason_kind("no scenario matches the filters {'domain': 'x'} with weight 0") == \
        "no scenario matches the filters {'domain': 'x'} with weight #"
    assert reason_kind("filters.domain: no scenario has 'x'") != \
        reason_kind("filters.tone: no scenario has 'x'")


def letter(sample_id, *reasons):
    return {"sample_id": sample_id, "reasons": list(reasons)}


def test_top_reasons_are_counted_per_letter_ranked_and_keep_one_example():
    letters = [
        letter("s1", "token_window: 812 tokens outside 900-1100"),
        letter("s2", "judge: coherence scored 2/5 (needs 3): vague"),
        letter("s3", "token_window: 790 tokens outside 900-1100",
               "token_window: 1200 tokens outside 900-1100"),
        letter("s4", "token_window: 700 tokens outside 900-1100", "pii: turn 2 has an email"),
        letter("s5", "judge: realism scored 1/5 (needs 3): stilted"),
    ]
    assert top_reasons(letters, n=3) == [
        {"reason": "token_window: 812 tokens outside 900-1100", "count": 3,
         "example_sample": "s1"},
        {"reason": "judge: coherence scored 2/5 (needs 3): vague", "count": 1,
         "example_sample": "s2"},
        {"reason": "pii: turn 2 has an email", "count": 1, "example_sample": "s4"},
    ]


def test_a_failed_runs_error_comes_first_unless_a_letter_says_it():
    letters = [letter("s1", "judge: coherence scored 2/5 (needs 3): vague")]
    assert top_reasons(letters, "the corpus is gone", n=1) == [
        {"reason": "the corpus is gone", "count": 1, "example_sample": None},
        {"reason": "judge: coherence scored 2/5 (needs 3): vague", "count": 1,
         "example_sample": "s1"},
    ]
    # The sampler fails a request and dead-letters it with the same problems.
    problems = ["filters.domain: no scenario has 'nonexistent'", "complexity 9 exceeds 3"]
    assert top_reasons([letter(None, *problems)], "; ".join(problems)) == [
        {"reason": problems[0], "count": 1, "example_sample": None},
        {"reason": problems[1], "count": 1, "example_sample": None},
    ]
    assert top_reasons([], None) == []


# -- throughput ----------------------------------------------------------------------------

def ago(*seconds):
    return [NOW - timedelta(seconds=s) for s in seconds]


def test_throughput_is_the_pace_since_the_oldest_recent_completion():
    per_min, eta = throughput_and_eta(ago(60, 40, 20, 0), remaining=10, now=NOW)
    assert per_min == pytest.approx(3.0)  # 3 gaps in 60 s
    assert eta == pytest.approx(200.0)


def test_a_stalled_run_slows_down_and_old_completions_do_not_count():
    per_min, _ = throughput_and_eta(ago(120, 100), remaining=5, now=NOW)
    assert per_min == pytest.approx(0.5)
    assert throughput_and_eta(ago(400, 350, 10), remaining=5, now=NOW) == (None, None)


def test_no_throughput_from_fewer_than_two_completions_and_no_eta_when_done():
    assert throughput_and_eta([], remaining=5, now=NOW) == (None, None)
    assert throughput_and_eta(ago(30), remaining=5, now=NOW) == (None, None)
    assert throughput_and_eta(ago(0, 0), remaining=5, now=NOW) == (None, None)
    per_min, eta = throughput_and_eta(ago(30, 0), remaining=0, now=NOW)
    assert (per_min, eta) == (pytest.approx(2.0), None)


def test_the_window_is_a_parameter():
    assert throughput_and_eta(ago(90, 30), remaining=1, now=NOW, window_s=60) == (None, None)
    per_min, eta = throughput_and_eta(ago(90, 30), remaining=1, now=NOW, window_s=120)
    assert (per_min, eta) == (pytest.approx(60 / 90), pytest.approx(90.0))


# -- listing -------------------------------------------------------------------------------

def test_tokens_and_cost_come_from_the_run_document():
    assert usage_totals({"llm_usage": {"prompt_tokens": 100, "completion_tokens": 20,
                                       "cost_usd": 0.5, "by_role": {}}}) == (120, 0.5)
    # Only cache hits: nothing paid.
    assert usage_totals({"llm_usage": {"cache_hits": 3}, "usage": {"prompt_tokens": 9,
                                                                    "completion_tokens": 1}}
                        ) == (10, None)
    assert usage_totals({}) == (None, None)


def test_rows_of_runs_and_of_published_requests():
    run = {"_id": "run-1", "request": {"paradigm": "claims"}, "created_at": NOW,
           "status": "running", "requested": 4, "accepted": 2, "dead_lettered": 1,
           "llm_usage": {"prompt_tokens": 5, "completion_tokens": 5, "cost_usd": 0.1}}
    assert run_row(run) == {"run_id": "run-1", "paradigm": "claims", "created": NOW,
                            "state": "running", "requested": 4, "accepted": 2,
                            "dead_lettered": 1, "stopped": 0, "tokens": 10, "cost_usd": 0.1}
    published = {"_id": "run-2", "paradigm": "conversation", "count": 3, "published_at": NOW}
    assert published_row(published) == {
        "run_id": "run-2", "paradigm": "conversation", "created": NOW, "state": "published",
        "requested": 3, "accepted": 0, "dead_lettered": 0, "stopped": 0, "tokens": None,
        "cost_usd": None}


def test_newest_first_with_undated_rows_last():
    rows = [{"run_id": "a", "created": NOW - timedelta(hours=1)}, {"run_id": "b", "created": None},
            {"run_id": "c", "created": NOW}]
    assert [r["run_id"] for r in newest_first(rows)] == ["c", "a", "b"]
