"""Named implementations of one kind: rule checks, complexify operators, spec checks, noise
operators. Each kind has one `Registry`, and code looks an implementation up by its name.

A name is registered once. Registering a taken name is an error (the second plug-in would
otherwise silently replace, or be silently ignored in favour of, the first); so is looking
up an unknown name, with the names that do exist. Other packages add implementations
through an entry-point group (``[project.entry-points."longweave.<kind>"]`` in their
``pyproject.toml``, ``name = "package.module:object"``): the group is read on the first
lookup, and each entry point's object is registered under the entry point's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Generic, TypeVar

T = TypeVar("T")


class RegistryError(LookupError):
    """An unknown name, or a name registered twice."""


class Registry(Generic[T]):
    def __init__(self, kind: str, entry_point_group: str | None = None) -> None:
        self.kind = kind
        self.entry_point_group = entry_point_group
        self._items: dict[str, T] = {}
        self._plugins_loaded = entry_point_group is None

    def register(self, name: str, item: T) -> T:
        if not name or not name.strip():
            raise RegistryError(f"a {self.kind} needs a name")
        if name in self._items:
            raise RegistryError(f"{self.kind} {name!r} is already registered "
                                f"({self._items[name]!r}); pick another name")
        self._items[name] = item
        return item

    def add(self, name: str) -> Callable[[T], T]:
        """Decorator form of `register`."""
        def add(item: T) -> T:
            return self.register(name, item)

        return add

    def unregister(self, name: str) -> T:
        """Remove `name` (tests that register a temporary implementation clean up)."""
        self._load_plugins()
        if name not in self._items:
            raise RegistryError(f"unknown {self.kind} {name!r}")
        return self._items.pop(name)

    def __getitem__(self, name: str) -> T:
        self._load_plugins()
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise RegistryError(f"unknown {self.kind} {name!r} (known: {known})") from None

    def __contains__(self, name: object) -> bool:
        self._load_plugins()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        self._load_plugins()
        return iter(list(self._items))

    def __len__(self) -> int:
        self._load_plugins()
        return len(self._items)

    def items(self) -> list[tuple[str, T]]:
        self._load_plugins()
        return list(self._items.items())

    def values(self) -> list[T]:
        self._load_plugins()
        return list(self._items.values())

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True  # first: a plug-in may look the registry up itself
        assert self.entry_point_group is not None
        for entry_point in entry_points(group=self.entry_point_group):
            self.register(entry_point.name, entry_point.load())
