"""How long the command line takes to start: wall time of `longweave --help` and
`longweave publish --help` against the 0.5 s budget, and of `--version` (which reads the
contracts and every prompt).

    .venv/bin/python tests/bench/bench_cli_startup.py [--runs 10]

Each command runs in a fresh interpreter, as a user's shell would start it; the figures
are the median and the range over the runs. Beside them: a bare `python -c pass`, the floor
no Python command line gets under.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

BUDGET_S = 0.5
COMMANDS = {
    "python -c pass (floor)": [sys.executable, "-c", "pass"],
    "longweave --help": [sys.executable, "-m", "longweave", "--help"],
    "longweave publish --help": [sys.executable, "-m", "longweave", "publish", "--help"],
    "longweave --version": [sys.executable, "-m", "longweave", "--version"],
}


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    print(f"{'command':28} {'median':>8} {'min':>8} {'max':>8}  budget {BUDGET_S:.1f} s")
    for name, argv in COMMANDS.items():
        timed(argv)  # warm the file cache: the first start reads every module from disk
        times = [timed(argv) for _ in range(args.runs)]
        verdict = "" if "--help" not in name else (  # the budget is the help's
            "  within" if statistics.median(times) < BUDGET_S else "  OVER")
        print(f"{name:28} {statistics.median(times):8.3f} {min(times):8.3f} "
              f"{max(times):8.3f}{verdict}")


if __name__ == "__main__":
    main()
