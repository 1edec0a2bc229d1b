from longweave.contracts.records import SegmentRef
from longweave.planning import (
    Plan,
    context_before,
    current_segment_refs,
    first_segments,
    inputs_of,
    missing_segments,
    next_segments,
    redo_after_generation_failure,
    segments_to_generate,
    task_key,
    unit_stages,
    units_to_redo,
    with_segment,
)
from support.samples import make_sample


def sample(attempt=1, redo=(), segments=None, n=3):
    return make_sample(attempt=attempt, redo_indexes=list(redo), segments=segments or {},
                       params={"segments": n})


def ref(name, transcript=False):
    return SegmentRef(id=name, summary=f"summary {name}", transcript=transcript)


def test_first_attempt_walks_every_segment():
    s = sample()
    asked = []
    for i in range(3):
        s = with_segment(s, 1, i, ref(f"a1s{i}"))
        asked.append(next_segments(s, i))
    assert asked == [[1], [2], []]
    assert next_segments(s, 0) == []  # a redelivered segment asks for nothing again


def test_regenerated_attempt_reuses_segments_it_does_not_redo():
    s = sample(attempt=2, redo=[1], segments={
        "a1": {"s0": ref("a1s0"), "s1": ref("a1s1"), "s2": ref("a1s2")},
        "a2": {"s1": ref("a2s1", transcript=True)},
    })
    refs = current_segment_refs(s)
    assert [refs[i].id for i in range(3)] == ["a1s0", "a2s1", "a1s2"]
    assert next_segments(s, 1) == []
    assert context_before(s, 1) == ("summary a1s0", False)
    assert context_before(s, 2) == ("summary a2s1", True)
    assert missing_segments(s) == []


def test_missing_segments_are_reported():
    s = sample(segments={"a1": {"s0": ref("x")}})
    assert missing_segments(s) == [1, 2]
    assert context_before(s, 0) == ("", False)


def test_plan_and_redo_after_a_failed_segment():
    assert segments_to_generate(3, []) == [0, 1, 2]
    assert segments_to_generate(3, [2, 0]) == [0, 2]
    # Segment 1 failed in a full attempt: 1 and 2 were never written.
    assert redo_after_generation_failure(sample().spec, [], 1) == [1, 2]
    # Redoing only 0 and 2, and 0 failed: 2 is still due, 1 is kept from before.
    assert redo_after_generation_failure(sample().spec, [0, 2], 0) == [0, 2]


def test_a_written_segment_is_noted_on_a_copy_of_the_sample():
    s = sample(segments={"a1": {"s0": ref("a1s0")}})
    noted = with_segment(s, 1, 1, ref("a1s1"))
    assert sorted(noted.segments["a1"]) == ["s0", "s1"]
    assert sorted(s.segments["a1"]) == ["s0"]  # the sample read from the store is unchanged
    assert next_segments(noted, 1) == [2] and missing_segments(noted) == [2]


def test_an_independent_plan_asks_for_every_unit_at_once_and_nothing_after():
    s = sample(n=3)
    assert first_segments(s, Plan.INDEPENDENT) == [0, 1, 2]
    assert first_segments(s, Plan.SEQUENTIAL) == [0]
    assert next_segments(with_segment(s, 1, 0, ref("x")), 0, Plan.INDEPENDENT) == []
    # Units of an attempt may be in flight when one fails: all of them are redone.
    assert redo_after_generation_failure(sample().spec, [], 2, Plan.INDEPENDENT) == [0, 1, 2]
    assert redo_after_generation_failure(sample().spec, [], 2, Plan.SEQUENTIAL) == [2]
    # Keyed per unit, so one consumer writes a sample's units at once.
    assert len({task_key("run-1-000000", i) for i in range(3)}) == 3


def test_a_fan_out_reduce_plan_asks_for_the_reduce_once_every_fan_out_unit_is_in():
    s = sample(n=4)  # units 0-2 fan out, 3 reduces
    assert first_segments(s, Plan.FAN_OUT_REDUCE) == [0, 1, 2]
    s = with_segment(s, 1, 2, ref("a1s2"))
    assert next_segments(s, 2, Plan.FAN_OUT_REDUCE) == []  # 0 and 1 still out
    s = with_segment(with_segment(s, 1, 0, ref("a1s0")), 1, 1, ref("a1s1"))
    assert next_segments(s, 1, Plan.FAN_OUT_REDUCE) == [3]
    assert next_segments(with_segment(s, 1, 3, ref("a1s3")), 3, Plan.FAN_OUT_REDUCE) == []


def test_redoing_a_fan_out_unit_redoes_the_reduce_and_reuses_the_others():
    assert units_to_redo(sample(n=4).spec, [1], Plan.FAN_OUT_REDUCE) == [1, 3]
    assert units_to_redo(sample(n=4).spec, [3], Plan.FAN_OUT_REDUCE) == [3]
    assert units_to_redo(sample(n=4).spec, [], Plan.FAN_OUT_REDUCE) == []  # the whole record
    assert units_to_redo(sample(n=4).spec, [1], Plan.SEQUENTIAL) == [1]
    s = sample(attempt=2, redo=[1, 3], n=4, segments={
        "a1": {f"s{i}": ref(f"a1s{i}") for i in range(4)}})
    assert first_segments(s, Plan.FAN_OUT_REDUCE) == [1]
    assert next_segments(with_segment(s, 2, 1, ref("a2s1")), 1, Plan.FAN_OUT_REDUCE) == [3]
    only_reduce = sample(attempt=2, redo=[3], n=4, segments=s.segments)
    assert first_segments(only_reduce, Plan.FAN_OUT_REDUCE) == [3]


def test_a_redone_attempt_is_complete_only_with_every_unit_it_redoes():
    earlier = {"a1": {f"s{i}": ref(f"a1s{i}") for i in range(4)}}
    s = sample(attempt=2, redo=[1, 3], n=4, segments=earlier)
    s = with_segment(s, 2, 1, ref("a2s1"))
    assert missing_segments(s) == [3]  # a1's unit 3 was rejected: it does not count
    assert missing_segments(with_segment(s, 2, 3, ref("a2s3"))) == []
    # Fan-out/reduce: the reduce waits for every fan-out unit the attempt redoes.
    r = sample(attempt=2, redo=[0, 1, 3], n=4, segments=earlier)
    r = with_segment(r, 2, 0, ref("a2s0"))
    assert next_segments(r, 0, Plan.FAN_OUT_REDUCE) == []
    assert next_segments(with_segment(r, 2, 1, ref("a2s1")), 1, Plan.FAN_OUT_REDUCE) == [3]


def test_each_failure_has_its_own_origin_and_a_redelivery_the_same():
    from types import SimpleNamespace

    from longweave.planning import regeneration_origin

    first = SimpleNamespace(stage="generator", reasons=["segment 1: TimeoutError"])
    other = SimpleNamespace(stage="generator", reasons=["segment 2: TimeoutError"])
    assert regeneration_origin(first) == regeneration_origin(SimpleNamespace(**vars(first)))
    assert regeneration_origin(first) != regeneration_origin(other)


def test_a_staged_plan_asks_for_each_stage_once_the_stages_before_it_are_in():
    # Two outlines, a summary, a claim and its check: stages of 2, 1, 1, 1.
    s = sample(n=5)
    s = s.model_copy(update={"spec": s.spec.model_copy(update={"stages": [2, 1, 1, 1]})})
    assert unit_stages(s.spec, Plan.STAGED) == [range(0, 2), range(2, 3), range(3, 4),
                                                 range(4, 5)]
    assert first_segments(s, Plan.STAGED) == [0, 1]
    s = with_segment(s, 1, 1, ref("a1s1"))
    assert next_segments(s, 1, Plan.STAGED) == []
    s = with_segment(s, 1, 0, ref("a1s0"))
    assert next_segments(s, 0, Plan.STAGED) == [2]
    assert list(inputs_of(s.spec, Plan.STAGED, 2)) == [0, 1]
    assert list(inputs_of(s.spec, Plan.STAGED, 4)) == [0, 1, 2, 3]
    assert list(inputs_of(s.spec, Plan.STAGED, 0)) == []
    # A failed check of the claim redoes it and its check; the outlines stand.
    assert units_to_redo(s.spec, [3], Plan.STAGED) == [3, 4]
    assert units_to_redo(s.spec, [0], Plan.STAGED) == [0, 2, 3, 4]
    redo = s.model_copy(update={"attempt": 2, "redo_indexes": [3, 4], "segments": {
        "a1": {f"s{i}": ref(f"a1s{i}") for i in range(5)}}})
    assert first_segments(redo, Plan.STAGED) == [3]
    assert next_segments(with_segment(redo, 2, 3, ref("a2s3")), 3, Plan.STAGED) == [4]
    # A unit that could not be written redoes its stage and the later ones, not the
    # outlines before it (which are in).
    assert redo_after_generation_failure(s.spec, [], 3, Plan.STAGED) == [3, 4]
    assert redo_after_generation_failure(s.spec, [], 1, Plan.STAGED) == [0, 1, 2, 3, 4]
    assert redo_after_generation_failure(s.spec, [3, 4], 4, Plan.STAGED) == [4]


def test_stages_must_split_the_units():
    import pytest

    s = sample(n=5)
    with pytest.raises(ValueError, match="do not split"):
        unit_stages(s.spec.model_copy(update={"stages": [2, 2]}), Plan.STAGED)
