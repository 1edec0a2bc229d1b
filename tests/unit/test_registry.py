"""The one registry every pluggable kind uses: collisions and unknown names are errors,
and other packages add implementations through entry points."""

from importlib.metadata import EntryPoint

import pytest

from longweave import registry as registry_module
from longweave.registry import Registry, RegistryError


def test_a_name_is_registered_once_and_looked_up_by_name():
    shapes = Registry[str]("shape")
    shapes.register("circle", "round")
    assert shapes["circle"] == "round" and "circle" in shapes and list(shapes) == ["circle"]
    with pytest.raises(RegistryError, match="shape 'circle' is already registered"):
        shapes.register("circle", "square")
    assert shapes["circle"] == "round"  # the first stays


def test_an_unknown_name_says_which_exist():
    shapes = Registry[str]("shape")
    shapes.add("circle")("round")
    shapes.add("square")("angular")
    with pytest.raises(RegistryError, match=r"unknown shape 'hexagon' \(known: circle, square\)"):
        shapes["hexagon"]


def test_plug_ins_come_from_entry_points_on_first_lookup(monkeypatch):
    group = "longweave.test_shapes"
    found = [EntryPoint("triangle", "string:ascii_letters", group)]
    monkeypatch.setattr(registry_module, "entry_points",
                        lambda group: found if group == "longweave.test_shapes" else [])
    shapes = Registry[str]("shape", group)
    shapes.register("circle", "round")
    assert sorted(shapes) == ["circle", "triangle"]
    assert shapes["triangle"].startswith("abc")


def test_a_plug_in_cannot_take_a_built_in_name(monkeypatch):
    found = [EntryPoint("circle", "string:digits", "longweave.test_shapes")]
    monkeypatch.setattr(registry_module, "entry_points", lambda group: found)
    shapes = Registry[str]("shape", "longweave.test_shapes")
    shapes.register("circle", "round")
    with pytest.raises(RegistryError, match="already registered"):
        shapes["circle"]
