"""mypy, strict, on the message contracts and the plug-in seams (configured in
pyproject.toml's [tool.mypy]): what plug-ins build on must say what it is."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("longweave.contracts", "longweave.registry", "longweave.planning",
           "longweave.checks", "longweave.paradigms", "longweave.instructions",
           "longweave.reasoning")


def test_the_contracts_and_seams_type_check_strictly(tmp_path):
    packages = [arg for name in CHECKED for arg in ("-p", name)]
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path), *packages],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
