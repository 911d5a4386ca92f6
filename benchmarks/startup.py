"""Start-up of the command line (issue 14): ``cchc --help`` and ``cchc evaluate ttcp@2018
demo`` to the terminal, wall-clock medians of several runs.

    .venv/bin/python benchmarks/startup.py                      # this checkout, 10 runs
    mkdir /tmp/old && git archive 611cdb2 src rulesets | tar -x -C /tmp/old   # any commit
    .venv/bin/python benchmarks/startup.py --against /tmp/old   # both, run by run

With ``--against`` the other checkout's ``src`` runs in this environment (on
``PYTHONPATH``), the two sides alternating run by run, so a busy machine slows both
alike. Bytecode is written before timing (as an installed package has it), and each
side keeps its own plugin-discovery cache. Also printed: the median CPU time of each
process (user + system), which other work on the machine disturbs less than the wall
clock.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
COMMANDS = {"--help": ["--help"], "evaluate demo": ["evaluate", "ttcp@2018", "demo"]}
TARGETS = {"--help": 0.3, "evaluate demo": 0.8}
"""Issue 14's targets, wall-clock seconds."""


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one run; a failing run stops the benchmark."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        assert process.stderr is not None
        sys.exit(f"{' '.join(argv)} failed:\n{process.stderr.read().decode()}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--against", type=Path, help="another checkout, run alternately")
    args = parser.parse_args()
    sides = {"this": HERE / "src"}
    if args.against is not None:
        sides["against"] = args.against.resolve() / "src"
    for source in sides.values():
        compileall.compile_dir(source, quiet=1)
    cchc = str(Path(sys.executable).parent / "cchc")
    times: dict[tuple[str, str], list[tuple[float, float]]] = {
        (side, command): [] for command in COMMANDS for side in sides
    }
    with tempfile.TemporaryDirectory(prefix="cchc-startup-") as caches:
        for _ in range(args.runs):
            for command, words in COMMANDS.items():
                for side, source in sides.items():
                    env = {**os.environ, "CCHC_CACHE_DIR": f"{caches}/{side}"}
                    env.pop("PYTHONDONTWRITEBYTECODE", None)
                    if side != "this":
                        env["PYTHONPATH"] = str(source)
                    times[side, command].append(timed([cchc, *words], env))
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')}, load average {os.getloadavg()[0]:.1f}")
    print("| command | side | median wall s | target | median CPU s | runs |")
    print("|---|---|---:|---:|---:|---:|")
    for (side, command), found in times.items():
        wall = statistics.median(w for w, _ in found)
        cpu = statistics.median(c for _, c in found)
        met = "met" if wall <= TARGETS[command] else "missed"
        print(
            f"| cchc {command} | {side} | {wall:.3f} | ≤ {TARGETS[command]} ({met}) "
            f"| {cpu:.3f} | {len(found)} |"
        )


if __name__ == "__main__":
    main()
