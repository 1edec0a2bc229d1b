"""User errors as one line each: which flag or field, the value given, what is allowed.
Never a traceback or a library's URL; internal errors go to a log file the message names."""

from __future__ import annotations

import re
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

USER_ERROR = 2  # a wrong flag, value, file or run id: fix the command
FAILED = 1  # the command ran and failed (a server down, a run that failed)

_URL_IN_MESSAGE = re.compile(r"\s*(For further information visit|See)\s+https?://\S+",
                             re.IGNORECASE)
_PROBLEM = re.compile(r"^(?P<path>[A-Za-z_][\w.]*): (?P<message>.+)$", re.DOTALL)


class UserError(Exception):
    """A mistake in the command line, a file or an id: printed as is, exit status 2."""

    def __init__(self, *lines: str) -> None:
        super().__init__("\n".join(lines))
        self.lines = list(lines)


def value_at(fields: dict[str, Any], path: tuple[Any, ...]) -> Any:
    """The value at a pydantic error's location in what the user gave (None: not there)."""
    node: Any = fields
    for part in path:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if not (in_dict or in_list):
            return None
        node = node[part]
    return node


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def validation_lines(errors: Iterable[dict[str, Any]], fields: dict[str, Any],
                     name_of: Callable[[str], str]) -> list[str]:
    """pydantic's errors (`ValidationError.errors()`) as lines naming the flag or field
    (`name_of(dotted path)`), the value given and what is allowed."""
    lines = []
    for error in errors:
        loc = tuple(p for p in error.get("loc", ()) if not str(p).startswith("function-"))
        path = ".".join(str(p) for p in loc)
        message = _URL_IN_MESSAGE.sub("", _lower_first(str(error.get("msg", "invalid"))))
        if error.get("type") == "extra_forbidden":
            lines.append(f"{name_of(path)}: unknown field (not part of the request)")
            continue
        if error.get("type") == "missing":
            lines.append(f"{name_of(path)}: required")
            continue
        given = value_at(fields, loc)
        lines.append(f"{name_of(path)}: {_short(given)} given; {message}"
                     if given is not None else f"{name_of(path)}: {message}")
    return lines


def problem_lines(problems: Iterable[str], fields: dict[str, Any],
                  name_of: Callable[[str], str]) -> list[str]:
    """Problems written as "path: message" (the sampler's checks), with the path named as
    the user set it."""
    lines = []
    for problem in problems:
        match = _PROBLEM.match(problem)
        if match is None:
            lines.append(problem)
            continue
        path = match["path"]
        given = value_at(fields, tuple(path.split(".")))
        message = _URL_IN_MESSAGE.sub("", _lower_first(match["message"]))
        shown = f" {_short(given)} given;" if given is not None and \
            not isinstance(given, dict | list) else ""
        lines.append(f"{name_of(path)}:{shown} {message}")
    return lines


def log_internal_error(exc: BaseException, argv: list[str]) -> Path:
    """Write the traceback to a log file the user can send us; return its path."""
    folder = Path(tempfile.gettempdir()) / "longweave"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"cli-{datetime.now(UTC):%Y%m%d-%H%M%S}.log"
    with path.open("a", encoding="utf-8") as log:
        log.write(f"longweave {' '.join(argv)}\n")
        log.write("".join(traceback.format_exception(exc)))
    return path


def print_error(*lines: str) -> None:
    for n, line in enumerate(lines):
        print(f"error: {line}" if n == 0 else f"  {line}", file=sys.stderr)


def redact_uri(uri: str) -> str:
    """A server address fit to print: no user name or password."""
    return re.sub(r"//[^/@]+@", "//***@", uri)
