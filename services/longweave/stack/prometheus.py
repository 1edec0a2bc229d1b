"""A real Prometheus for the local stack (`longweave stack up --monitoring`): it scrapes the
six services' /metrics and loads the mesh's alert rules (k8s/components/monitoring), so a
user can watch a run, `make demo`'s included, in its web UI.

The binaries (prometheus, promtool) come from Debian's ``prometheus`` package, fetched with
``apt-get download`` and unpacked with ``dpkg-deb -x`` into the virtualenv's bin: no root.
Elsewhere, put a Prometheus release (https://prometheus.io/download/) on PATH.
`python -m longweave.stack.prometheus` installs them."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from longweave.settings import SERVICE_NAMES, Settings

BIN = Path(sys.executable).parent
# In a source checkout: the rules the cluster's Prometheus loads, loaded here too.
RULES = Path(__file__).resolve().parents[3] / "k8s" / "components" / "monitoring" / \
    "longweave.rules.yaml"
SCRAPE_INTERVAL = "5s"


def find_binary(name: str = "prometheus") -> Path | None:
    for candidate in (BIN / name, shutil.which(name)):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    return None


def install(bin_dir: Path = BIN) -> list[Path]:
    """prometheus and promtool in `bin_dir`, from Debian's package unless already there."""
    wanted = [bin_dir / "prometheus", bin_dir / "promtool"]
    if all(p.exists() for p in wanted):
        return wanted
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["apt-get", "download", "-q", "prometheus"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        [deb] = Path(tmp).glob("prometheus_*.deb")
        subprocess.run(["dpkg-deb", "-x", str(deb), f"{tmp}/root"], check=True)
        for target in wanted:
            shutil.copy2(f"{tmp}/root/usr/bin/{target.name}", target)
    return wanted


def config(settings: Settings, rules: Path = RULES) -> str:
    """Prometheus's configuration: the six services' metrics ports on this machine (one
    target each, labelled with its service as the cluster's scrape labels its container)."""
    host = "127.0.0.1" if settings.metrics_host in ("0.0.0.0", "") else settings.metrics_host
    document = {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL},
        "rule_files": [str(rules)] if rules.exists() else [],
        "scrape_configs": [{
            "job_name": "longweave",
            "static_configs": [{"targets": [f"{host}:{settings.ports.of(name)}"],
                                "labels": {"container": name}} for name in SERVICE_NAMES],
        }],
    }
    return yaml.safe_dump(document, sort_keys=False)


if __name__ == "__main__":
    for path in install():
        print(path)
