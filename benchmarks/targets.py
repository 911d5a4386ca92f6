"""Issue 14's target table in one command: every figure measured in this run.

    .venv/bin/python benchmarks/targets.py                 # about 25 minutes
    .venv/bin/python benchmarks/targets.py --runs 3 --no-10m   # about 10 minutes

It runs, in order:

1. ``run.py``'s contenders for ttcp@2018 and bench@1 at 100,000 and 1,000,000 units
   (agreement checked on every unit first; ``--runs`` rounds, alternating order;
   medians): the engine in one process and with ``--workers 2`` against the handwritten
   program, both writing every column;
2. one million units of ttcp@2018 from CSV, and from Parquet in one process and by
   default, in turn, ``--runs`` rounds (a CSV file is one piece, scored by one process
   whatever the default: the target compares it with Parquet in one process, the
   format's own cost, and the row also gives the ratio to Parquet's default);
3. ten million units of ttcp@2018 from Parquet (one process, and the default) and from
   CSV, one run each (skipped with ``--no-10m``; the units are generated once, about
   6 GB of CSV and Parquet under ``--workdir``);
4. ``cchc --help`` and ``cchc evaluate ttcp@2018 demo``, ten runs each.

and prints the table of targets, each met or missed by how much. Wall clock from
process start to exit; peak memory is the process tree's (``run.py``'s ``run_once``).
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# The benchmark scripts beside this file (not a package).
import startup  # noqa: E402

import run  # noqa: E402

RULESETS = ("ttcp@2018", "bench@1")


def median(timing: run.Timing) -> tuple[float, float]:
    """Median wall seconds and median peak MB of a contender's runs."""
    return statistics.median(timing.walls), statistics.median(timing.rss_mb)


def cchc(*words: str) -> list[str]:
    return [str(run.BIN / "cchc"), *words]


def generated(workdir: Path, size: int) -> tuple[Path, Path]:
    """ttcp@2018 units of ``size`` as Parquet and CSV, generated once: ``run.py``'s
    units file (the generator is deterministic, so writing it again gives the same
    bytes) and the same units as CSV beside it."""
    parquet = run.units_file(workdir, run.find("ttcp@2018"), size)
    csv = parquet.with_suffix(".csv")
    if not (parquet.exists() and csv.exists()):
        subprocess.run(
            [
                str(run.BIN / "python"),
                str(HERE / "generate_units.py"),
                "ttcp@2018",
                str(size),
                str(parquet),
                "--csv",
                str(csv),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return parquet, csv


def csv_against_parquet(workdir: Path, size: int, runs: int) -> dict[str, run.Timing]:
    parquet, csv = generated(workdir, size)
    result = str(workdir / "targets-csv.parquet")
    evaluate = ("evaluate", "ttcp@2018")
    commands = {
        "csv": cchc(*evaluate, str(csv), "-o", result, "--force"),
        "parquet": cchc(*evaluate, str(parquet), "-o", result, "--force", "--workers", "1"),
        "parquet-default": cchc(*evaluate, str(parquet), "-o", result, "--force"),
    }
    timings = {name: run.Timing() for name in commands}
    for turn in range(runs):
        order = list(commands) if turn % 2 == 0 else list(commands)[::-1]
        for name in order:
            run.run_once(commands[name], timings[name])
    return timings


def ten_million(workdir: Path, size: int) -> dict[str, run.Timing]:
    parquet, csv = generated(workdir, size)
    timings = {name: run.Timing() for name in ("parquet", "parquet-default", "csv")}
    result = str(workdir / "targets-big.parquet")
    evaluate = ("evaluate", "ttcp@2018")
    commands = {
        "parquet": cchc(*evaluate, str(parquet), "-o", result, "--force", "--workers", "1"),
        "parquet-default": cchc(*evaluate, str(parquet), "-o", result, "--force"),
        "csv": cchc(*evaluate, str(csv), "-o", result, "--force"),
    }
    for name, command in commands.items():
        run.run_once(command, timings[name])
    return timings


def start_up(runs: int) -> dict[str, float]:
    """Median wall seconds of each start-up command, bytecode written first."""
    compileall.compile_dir(run.ROOT / "src", quiet=1)
    walls: dict[str, list[float]] = {name: [] for name in startup.COMMANDS}
    with tempfile.TemporaryDirectory(prefix="cchc-targets-") as cache:
        env = {**os.environ, "CCHC_CACHE_DIR": cache}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for _ in range(runs):
            for name, words in startup.COMMANDS.items():
                walls[name].append(startup.timed(cchc(*words), env)[0])
    return {name: statistics.median(found) for name, found in walls.items()}


def status(value: float, bound: float) -> str:
    """Met, or missed by how much (percent of the bound)."""
    if value <= bound:
        return "met"
    return f"missed by {(value / bound - 1) * 100:.0f} %"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-10m", action="store_true", help="skip the ten million units")
    parser.add_argument("--workdir", type=Path, default=run.ROOT / "out" / "bench")
    # Smaller sizes for the test suite's smoke run; the targets are the defaults'.
    parser.add_argument("--sizes", type=int, nargs=2, default=[100_000, 1_000_000])
    parser.add_argument("--big-size", type=int, default=10_000_000)
    parser.add_argument("--start-runs", type=int, default=10)
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    began = time.strftime("%Y-%m-%d %H:%M")
    bench_args = argparse.Namespace(runs=args.runs, loop_max=0, loop_runs=1, workdir=args.workdir)
    measured: dict[tuple[str, int], dict[str, run.Timing]] = {}
    small, large = args.sizes
    for ref in RULESETS:
        ruleset = run.find(ref)
        criteria = run.leaves(ruleset.toml)
        for size in (small, large):
            timings = run.measure(ruleset, size, bench_args)
            measured[ref, size] = timings
            print(run.table(size, timings, ref, criteria), flush=True)
    csv = csv_against_parquet(args.workdir, large, args.runs)
    big = {} if args.no_10m else ten_million(args.workdir, args.big_size)
    starts = start_up(args.start_runs)

    rows: list[tuple[str, str, str]] = []

    def ratio_row(target: str, contender: str, size: int, bound: float) -> None:
        cells, worst = [], 0.0
        for ref in RULESETS:
            ours, _ = median(measured[ref, size][contender])
            bar, _ = median(measured[ref, size]["handwritten"])
            worst = max(worst, ours / bar)
            cells.append(f"{ref} **{ours / bar:.2f}×** ({ours:.2f} ÷ {bar:.2f} s)")
        rows.append((target, "; ".join(cells), status(worst, bound)))

    ratio_row(
        f"≤ 1.3× the handwritten program at {large:,} units, equal outputs", "engine", large, 1.3
    )
    ratio_row(f"≤ 1.0× with `--workers 2` at {large:,}", "engine-2-processes", large, 1.0)
    ratio_row(f"≤ 2× at {small:,} (start-up included)", "engine", small, 2.0)
    cells, worst = [], 0.0
    for ref in RULESETS:
        _, ours = median(measured[ref, large]["engine"])
        _, bar = median(measured[ref, large]["handwritten"])
        worst = max(worst, ours / bar)
        cells.append(f"{ref} **{ours / bar:.2f}×** ({ours:,.0f} ÷ {bar:,.0f} MiB)")
    rows.append((f"peak memory ≤ 1.5× at {large:,}", "; ".join(cells), status(worst, 1.5)))
    if big:
        cells = []
        for name, label in (
            ("parquet", "Parquet, one process"),
            ("parquet-default", "Parquet, the default processes (summed)"),
            ("csv", "CSV"),
        ):
            wall, peak = median(big[name])
            cells.append(f"{label} **{peak:,.0f} MiB**, {wall:.1f} s")
        worst_peak = max(median(timing)[1] for timing in big.values())
        rows.append(
            (f"{args.big_size:,} units < 2 GiB", "; ".join(cells), status(worst_peak, 2048))
        )
        per_unit = [
            median(measured["ttcp@2018", small]["engine"])[0] / small * 1e6,
            median(measured["ttcp@2018", large]["engine"])[0] / large * 1e6,
            median(big["parquet"])[0] / args.big_size * 1e6,
        ]
        rows.append(
            (
                f"linear from {small:,} to {args.big_size:,} (ttcp@2018, one process)",
                " / ".join(f"{value:.1f}" for value in per_unit)
                + " µs a unit (linear: a unit at the largest size within 25 % of the middle)",
                status(per_unit[2] / per_unit[1], 1.25),
            )
        )
    csv_wall, csv_peak = median(csv["csv"])
    parquet_wall, parquet_peak = median(csv["parquet"])
    default_wall, _ = median(csv["parquet-default"])
    rows.append(
        (
            f"CSV {large:,} units ≤ 1.5× the Parquet time (one process each)",
            f"**{csv_wall / parquet_wall:.2f}×** ({csv_wall:.2f} ÷ {parquet_wall:.2f} s); "
            f"peak {csv_peak:,.0f} against {parquet_peak:,.0f} MiB; against Parquet's "
            f"default processes {csv_wall / default_wall:.2f}× ({default_wall:.2f} s)",
            status(csv_wall / parquet_wall, 1.5),
        )
    )
    for name, words in startup.COMMANDS.items():
        wall, bound = starts[name], startup.TARGETS[name]
        label = f"`cchc {' '.join(words)}` ≤ {bound} s"
        rows.append((label, f"{wall:.3f} s (median of {args.start_runs})", status(wall, bound)))

    print(f"\n### Targets of issue 14 ({began} UTC, medians of {args.runs} runs)\n")
    print("| target | measured | status |")
    print("|---|---|---|")
    for target, measured_text, verdict in rows:
        print(f"| {target} | {measured_text} | {verdict} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
