from longweave.contracts.messages import SCENARIO_FIELDS
from longweave.sampler.fields import (
    field_value,
    matches,
    unknown_values,
    variants_of,
    weight_of,
    weighted_candidates,
)


def scenario(sid="s1", domain="finance", country="Kenya", tone="calm", alt_tones=(),
             personas=()):
    return {"scenario_id": sid, "domain": domain, "tone": tone, "register": "plain",
            "user_persona": "farmer", "alt_user_personas": list(personas),
            "alt_tones": list(alt_tones), "assistant_persona": "adviser", "audience": "all",
            "document_type": "chat",
            "geography": {"country": country, "city": "Nairobi", "locale": "en-KE",
                          "language": "English"}}


def test_nested_fields_are_dotted():
    assert field_value(scenario(), "geography.country") == "Kenya"
    assert field_value(scenario(), "geography.nowhere") == ""


def test_variants_cross_personas_with_tones():
    variants = variants_of(scenario(alt_tones=["warm"], personas=["student", "farmer"]))
    assert {(v.user_persona, v.tone) for v in variants} == {
        ("farmer", "calm"), ("farmer", "warm"), ("student", "calm"), ("student", "warm")}


def test_filters_take_one_value_or_any_of_a_list_case_insensitively():
    [v] = variants_of(scenario())
    assert matches(v, {"domain": "FINANCE", "geography.country": ["Peru", "kenya"]})
    assert not matches(v, {"domain": "finance", "geography.country": "Peru"})
    assert matches(v, {})


def test_a_tone_filter_keeps_only_the_variants_with_that_tone():
    kept = weighted_candidates([scenario(alt_tones=["warm"], personas=["student"])],
                               {"tone": "warm"}, {})
    assert {(v.user_persona, v.tone) for v, _ in kept} == {("farmer", "warm"), ("student", "warm")}
    assert sum(w for _, w in kept) == 1.0  # a scenario's share does not grow with its variants


def test_weights_multiply_and_zero_excludes():
    [v] = variants_of(scenario())
    assert weight_of(v, {"domain": {"Finance": 2}, "geography.country": {"kenya": 1.5}}) == 3.0
    assert weight_of(v, {"domain": {"legal": 5}}) == 1.0
    assert weighted_candidates([scenario()], {}, {"domain": {"finance": 0}}) == []


def test_values_no_scenario_has_are_reported():
    problems = unknown_values([scenario(alt_tones=["warm"])],
                              {"tone": ["warm", "Icy"], "domain": "finance"},
                              {"geography.city": {"Atlantis": 2}})
    city = scenario()["geography"]["city"]
    assert problems == ["filters.tone: no scenario has 'Icy' (values: calm, warm)",
                        f"weights.geography.city: no scenario has 'Atlantis' (values: {city})"]
    assert unknown_values([scenario()], {"colour": "red"}, {}) == [
        "filters.colour: not a scenario field (fields: " + ", ".join(SCENARIO_FIELDS) + ")"]
