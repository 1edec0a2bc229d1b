import random
from collections import Counter

from longweave.sampler.fields import weighted_candidates
from longweave.sampler.plan import plan, spread, systematic_picks


def catalog(domains=4, per_domain=5):
    return [{"scenario_id": f"{d}-{i}", "domain": f"d{d}", "tone": "calm",
             "user_persona": "p", "geography": {"country": f"c{i % 2}"}}
            for d in range(domains) for i in range(per_domain)]


def test_systematic_picks_give_each_item_its_share_rounded_down_or_up():
    weights = [1.0, 2.0, 3.0, 0.5]
    for count in (1, 7, 13, 100):
        picks = Counter(systematic_picks(weights, count, random.Random(count)))
        for i, w in enumerate(weights):
            expected = count * w / sum(weights)
            assert int(expected) <= picks[i] <= int(expected) + 1


def test_spread_interleaves_groups_in_proportion():
    order = spread([["a"] * 6, ["b"] * 3], random.Random(1))
    assert order.count("a") == 6
    assert all("b" in order[i:i + 3] for i in range(0, 9, 3))


def test_plan_is_deterministic_for_a_seed():
    cands = weighted_candidates(catalog(), {}, {})
    def ids(picks):
        return [p.variant.scenario_id for p in picks]

    assert ids(plan(cands, 30, 9)) == ids(plan(cands, 30, 9))
    assert ids(plan(cands, 30, 9)) != ids(plan(cands, 30, 10))
    assert ids(plan(list(reversed(cands)), 30, 9)) == ids(plan(cands, 30, 9))


def test_picks_come_pass_by_pass_and_each_prefix_mixes_domains():
    picks = plan(weighted_candidates(catalog(), {}, {}), 45, seed=2)
    occurrences = [p.occurrence for p in picks]
    assert occurrences == sorted(occurrences)
    assert Counter(p.variant.scenario_id for p in picks[:20]) == Counter(
        {f"{d}-{i}": 1 for d in range(4) for i in range(5)})
    for start in range(0, 20, 4):
        assert len({p.variant.scenario["domain"] for p in picks[start:start + 4]}) >= 3


def test_nothing_to_pick_gives_no_picks():
    assert plan([], 10, 0) == []
