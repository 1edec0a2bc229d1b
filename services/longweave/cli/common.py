"""What the commands share: the settings (read once, logging set up), the store, run ids
that must exist, and the flags that mean the same in every command (--json, --out,
--filter). Heavy modules are imported inside functions: `longweave --help` stays fast."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from longweave.cli.errors import UserError, validation_lines

if TYPE_CHECKING:
    from longweave.settings import Settings
    from longweave.store import Store

T = TypeVar("T")

json_option = click.option("--json", "as_json", is_flag=True,
                           help="print JSON (one object per line) for scripts")
filter_option = click.option("--filter", "filters", multiple=True, metavar="FIELD=VALUE",
                             help="keep scenarios whose FIELD equals VALUE (repeat a field: "
                                  "any of its values)")


def out_option(help: str, **kwargs: Any) -> Callable[[T], T]:
    return click.option("--out", type=click.Path(path_type=Path), help=help, **kwargs)


_settings: Settings | None = None


def settings() -> Settings:
    """The settings from the environment, read once; a bad variable is a user error."""
    global _settings
    if _settings is None:
        from pydantic import ValidationError

        from longweave.settings import Settings

        try:
            _settings = Settings()
        except ValidationError as exc:
            raise UserError(*validation_lines(
                exc.errors(), _environment_settings(),
                lambda path: "LONGWEAVE_" + path.upper().replace(".", "__"))) from None
        logging.basicConfig(
            level=getattr(logging, _settings.log_level.upper(), logging.INFO),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per LLM call is noise
    return _settings


def _environment_settings() -> dict[str, Any]:
    """LONGWEAVE_* variables as the nested fields they set (A__B -> {"a": {"b": ...}}), to
    show the value a bad setting was given."""
    import os

    fields: dict[str, Any] = {}
    for name, value in os.environ.items():
        if name.startswith("LONGWEAVE_"):
            *parents, leaf = name.removeprefix("LONGWEAVE_").lower().split("__")
            node = fields
            for parent in parents:
                node = node.setdefault(parent, {}) if isinstance(node, dict) else {}
            if isinstance(node, dict):
                node[leaf] = value
    return fields


def reset_settings() -> None:
    """Forget the settings read (tests change the environment between commands)."""
    global _settings
    _settings = None


# A command gives up on an unreachable store after this long, and says so (services wait).
STORE_TIMEOUT_MS = 5000


def with_store(work: Callable[[Store], Awaitable[T]]) -> T:
    """Run `work(store)` against the configured store."""
    from longweave.store import Store

    s = settings()

    async def go() -> T:
        store = Store(s.mongodb_uri, s.mongodb_db, server_selection_timeout_ms=STORE_TIMEOUT_MS)
        try:
            return await work(store)
        finally:
            store.close()

    return asyncio.run(go())


async def require_runs(store: Store, run_ids: list[str]) -> None:
    """Unknown run ids are user errors: a typo must not look like a slow or empty run."""
    from longweave.runs import run_known

    for run_id in run_ids:
        if not await run_known(store, run_id):
            raise UserError(f"no run {run_id!r} in database {store.db.name!r} "
                            "(see `longweave runs`)")


def key_values(flag: str, items: tuple[str, ...], form: str = "NAME=VALUE"
               ) -> dict[str, str]:
    from longweave.cli.request_flags import split_pair

    try:
        return dict(split_pair(item, flag, form) for item in items)
    except ValueError as exc:
        raise click.BadParameter(str(exc).removeprefix(f"{flag} "), param_hint=flag) from None
