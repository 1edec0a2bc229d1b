from longweave.stitcher.logic import (
    context_before,
    current_segment_refs,
    missing_segments,
    next_segment,
    stitch,
)

SCENARIO = {"assistant_persona": "a clerk", "audience": "citizens", "tone": "calm",
            "guidance": "Be brief.", "geography": {"city": "Oslo", "country": "Norway"}}


def sample(attempt=1, redo=(), segments=None, n=3):
    return {"attempt": attempt, "redo_indexes": list(redo), "segments": segments or {},
            "spec": {"segments": n}}


def ref(name, transcript=False):
    return {"id": name, "summary": f"summary {name}", "transcript": transcript}


def test_first_attempt_walks_every_segment():
    s = sample()
    assert [next_segment(s, i) for i in range(3)] == [1, 2, None]


def test_regenerated_attempt_reuses_segments_it_does_not_redo():
    s = sample(attempt=2, redo=[1], segments={
        "a1": {"s0": ref("a1s0"), "s1": ref("a1s1"), "s2": ref("a1s2")},
        "a2": {"s1": ref("a2s1", transcript=True)},
    })
    refs = current_segment_refs(s)
    assert [refs[i]["id"] for i in range(3)] == ["a1s0", "a2s1", "a1s2"]
    assert next_segment(s, 1) is None
    assert context_before(s, 1) == ("summary a1s0", False)
    assert context_before(s, 2) == ("summary a2s1", True)
    assert missing_segments(s) == []


def test_missing_segments_are_reported():
    s = sample(segments={"a1": {"s0": ref("x")}})
    assert missing_segments(s) == [1, 2]
    assert context_before(s, 0) == ("", False)


def test_stitch_puts_a_system_message_first():
    turns = stitch(SCENARIO, [[{"role": "user", "content": "q"}],
                              [{"role": "assistant", "content": "a"}]])
    assert [t.role for t in turns] == ["system", "user", "assistant"]
    assert "a clerk" in turns[0].content and "Oslo, Norway" in turns[0].content
