import pytest

from longweave.watch import duration, render_status


def status(**stages):
    base = dict.fromkeys(("queued", "generating", "checking",
                          "accepted", "dead_lettered", "stopped"), 0)
    return {"run_id": "run-1", "status": "running", "requested": 4, "regenerated": 1,
            "stages": {**base, **stages}}


def test_status_line_shows_progress_and_only_busy_stages():
    line = render_status(status(generating=1, checking=1, accepted=1, dead_lettered=1))
    assert line.startswith("[" + "#" * 12 + "." * 12 + "] 2/4 running")
    assert "generating 1 checking 1" in line and "queued" not in line
    assert "accepted 1 · dead-lettered 1" in line and "regenerated 1" in line


def test_status_before_the_sampler_saw_the_run():
    assert render_status({"run_id": "run-1", "status": "published",
                          "requested": None}) == "run-1: published"


def test_a_failed_run_says_why():
    line = render_status({**status(), "status": "failed",
                          "error": "params: no document in the corpus matches"})
    assert line.startswith("[" + "." * 24 + "] 0/4 failed")
    assert line.endswith("(params: no document in the corpus matches)")


def test_the_progress_line_shows_throughput_and_eta_when_known():
    line = render_status({**status(accepted=1, generating=1), "throughput_per_min": 12.0,
                          "eta_s": 200.0})
    assert line.startswith("[" + "#" * 6 + "." * 18 + "] 1/4 running · 12.0/min · ETA 3m20s |")
    assert "\n" not in line
    no_eta = render_status({**status(), "throughput_per_min": 3.25, "eta_s": None})
    assert "· 3.2/min |" in no_eta and "ETA" not in no_eta
    assert "/min" not in render_status({**status(), "throughput_per_min": None})


def test_reasons_follow_the_line_up_to_three():
    reasons = [{"reason": f"check_{n}: failed", "count": 5 - n, "example_sample": f"run-1-00000{n}"}
               for n in range(4)]
    lines = render_status({**status(dead_lettered=4), "reasons": reasons}).splitlines()
    assert lines[0].startswith("[")
    assert lines[1:] == ["  5× check_0: failed (e.g. sample run-1-000000)",
                         "  4× check_1: failed (e.g. sample run-1-000001)",
                         "  3× check_2: failed (e.g. sample run-1-000002)"]


def test_a_long_reason_is_cut_to_a_line():
    long = "non_word_tokens: " + "; ".join(f"turn {n} (user): 1 of its 1 words" for n in range(20))
    [line] = render_status({**status(dead_lettered=1), "reasons": [
        {"reason": long, "count": 1, "example_sample": "s-1"}]}).splitlines()[1:]
    assert line == f"  1× {long[:159].rstrip()}… (e.g. sample s-1)"


def test_a_failed_runs_error_is_not_repeated_under_the_line():
    error = "filters.domain: no scenario has 'nonexistent'"
    text = render_status({**status(), "status": "failed", "error": error, "reasons": [
        {"reason": error, "count": 1, "example_sample": None},
        {"reason": "handler failed 4 times: boom", "count": 1, "example_sample": None}]})
    first, *rest = text.splitlines()
    assert first.endswith(f"({error})")
    assert rest == ["  1× handler failed 4 times: boom"]


@pytest.mark.parametrize(("seconds", "shown"), [
    (0, "0s"), (44.6, "45s"), (200, "3m20s"), (3600, "1h00m"), (7500, "2h05m"),
    (3 * 86400 + 4 * 3600, "3d04h")])
def test_durations_are_short(seconds, shown):
    assert duration(seconds) == shown


async def test_an_unknown_run_is_an_error_at_once(monkeypatch, capsys):
    from longweave import watch
    from longweave.settings import Settings

    async def unknown(store, run_id):
        return {"run_id": run_id, "known": False, "status": "unknown", "finished": False}

    monkeypatch.setattr(watch, "run_status", unknown)
    for wait in (False, True):
        code = await watch.watch_run(Settings(), "run-typo", wait=wait, timeout=60)
        assert code == 2
        out, err = capsys.readouterr()
        assert (out, err) == ("", "no run run-typo (see `longweave runs`)\n")


async def test_a_published_run_is_waited_for_and_pace_alone_prints_no_line(monkeypatch, capsys):
    from longweave import watch
    from longweave.settings import Settings

    polls = iter([
        {"run_id": "run-1", "known": True, "status": "published", "requested": None,
         "finished": False},
        {**status(accepted=2), "known": True, "finished": False, "throughput_per_min": 2.0,
         "eta_s": 60.0},
        {**status(accepted=2), "known": True, "finished": False, "throughput_per_min": 1.5,
         "eta_s": 80.0},
        {**status(accepted=4), "status": "complete", "known": True, "finished": True},
    ])

    async def next_status(store, run_id):
        return next(polls)

    async def no_report(store, run_id):
        return []

    async def no_sleep(seconds):
        return None

    monkeypatch.setattr(watch, "run_status", next_status)
    monkeypatch.setattr(watch, "run_report", no_report)
    monkeypatch.setattr(watch.asyncio, "sleep", no_sleep)
    assert await watch.watch_run(Settings(), "run-1", wait=True, timeout=60) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "run-1: published"
    assert "2.0/min · ETA 1m00s" in lines[1]
    assert len(lines) == 3 and "4/4 complete" in lines[2]
