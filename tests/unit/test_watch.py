from longweave.watch import render_status


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
    assert render_status({"run_id": "run-1", "status": "waiting for the sampler",
                          "requested": None}) == "run-1: waiting for the sampler"


def test_a_failed_run_says_why():
    line = render_status({**status(), "status": "failed",
                          "error": "params: no document in the corpus matches"})
    assert line.startswith("[" + "." * 24 + "] 0/4 failed")
    assert line.endswith("(params: no document in the corpus matches)")
