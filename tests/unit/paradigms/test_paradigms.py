"""The paradigm registry: built-ins, plug-ins through entry points, and clear errors."""

import pytest

from longweave.paradigms import PARADIGMS, Paradigm, paradigm_of
from longweave.paradigms.conversation import ConversationParadigm
from longweave.registry import Registry, RegistryError
from support.plugins import install_toy_paradigm
from support.samples import make_sample


def test_the_conversation_paradigm_is_built_in():
    assert isinstance(PARADIGMS["conversation"], ConversationParadigm)
    assert paradigm_of(make_sample()) is PARADIGMS["conversation"]


def test_an_unknown_paradigm_names_those_that_exist():
    with pytest.raises(RegistryError, match=r"unknown paradigm 'poetry' \(known: .*conversation"):
        paradigm_of(make_sample().model_copy(update={
            "spec": make_sample().spec.model_copy(update={"paradigm": "poetry"})}))


def test_a_second_paradigm_under_a_taken_name_is_refused():
    with pytest.raises(RegistryError, match="already registered"):
        PARADIGMS.register("conversation", ConversationParadigm())


def test_another_package_adds_a_paradigm_and_its_check_through_entry_points(tmp_path,
                                                                            monkeypatch):
    for folder in install_toy_paradigm(tmp_path):
        monkeypatch.syspath_prepend(str(folder))
    # Fresh registries read the groups as the services' do on their first lookup.
    paradigms: Registry[Paradigm] = Registry("paradigm", "longweave.paradigms")
    checks: Registry[object] = Registry("check", "longweave.checks")
    toy = paradigms["toy_facts"]
    assert toy.name == "toy_facts" and toy.plan == "independent"
    assert toy.prompts.version("toy_facts/fact.j2").startswith("toy_facts/fact.j2@v1+")
    assert toy.rubric_path.is_file()
    assert toy.parse_params({}).model_dump() == {"facts": 3}
    assert toy.units(toy.parse_params({"facts": 4})) == 4
    assert "distinct_facts" in list(checks)
    assert paradigms["toy_digest"].plan == "fan_out_reduce"
