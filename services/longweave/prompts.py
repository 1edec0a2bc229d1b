"""Versioned Jinja2 prompt templates, rendered in Jinja2's sandbox.

A template declares ``{# version: N #}`` on its first line and defines a ``system`` and a
``user`` block. The recorded version is ``name@vN+<sha8 of the file>``, so a silent edit
still changes what the metadata says.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

_VERSION = re.compile(r"\{#\s*version:\s*(\d+)\s*#\}")


def prompts_root() -> Path:
    """The shipped prompts: inside the wheel, else the repository's top-level prompts/."""
    packaged = Path(__file__).parent / "_prompts"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "prompts"


@dataclass(frozen=True)
class RenderedPrompt:
    name: str
    version: str
    messages: list[dict[str, str]]


class PromptLibrary:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root or prompts_root()
        self.env = SandboxedEnvironment(
            loader=FileSystemLoader(str(self.root)),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )

    @lru_cache(maxsize=64)  # noqa: B019 - a library lives as long as its service
    def version(self, name: str) -> str:
        source = (self.root / name).read_text(encoding="utf-8")
        declared = _VERSION.search(source)
        if declared is None:
            raise ValueError(f"prompt {name} lacks a '{{# version: N #}}' header")
        digest = hashlib.sha256(source.encode()).hexdigest()[:8]
        return f"{name}@v{declared.group(1)}+{digest}"

    def render(self, name: str, **context: Any) -> RenderedPrompt:
        template = self.env.get_template(name)
        ctx = template.new_context(context)
        messages = []
        for role in ("system", "user"):
            block = template.blocks.get(role)
            if block is not None:
                text = "".join(block(ctx)).strip()
                if text:
                    messages.append({"role": role, "content": text})
        if not messages:
            raise ValueError(f"prompt {name} defines neither a system nor a user block")
        return RenderedPrompt(name=name, version=self.version(name), messages=messages)
