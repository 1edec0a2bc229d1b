from longweave.llm.decoding import attempt_temperature, decoding_seed


def test_decoding_seeds_repeat_within_a_run_and_differ_across_runs():
    assert decoding_seed("run-a-000001", 1, 0) == decoding_seed("run-a-000001", 1, 0)
    assert decoding_seed("run-a-000001", 1, 0) != decoding_seed("run-b-000001", 1, 0)
    assert decoding_seed("run-a-000001", 1, 0) != decoding_seed("run-a-000001", 2, 0)
    assert 0 <= decoding_seed("x") < 2**31


def test_regenerations_sample_a_little_hotter_up_to_a_cap():
    assert [attempt_temperature(0.7, a) for a in (1, 2, 3, 9)] == [0.7, 0.8, 0.9, 1.2]
    assert attempt_temperature(1.5, 4) == 1.5  # never lower than asked
