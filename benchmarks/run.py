"""The benchmark: the engine against its baselines, measured in the same run.

    .venv/bin/python benchmarks/run.py                       # 100k and 1M units, 3 runs
    .venv/bin/python benchmarks/run.py --sizes 10000000 --runs 1 --loop-max 0
    .venv/bin/python benchmarks/run.py --rulesets bench@1 --sizes 100000

For each ruleset (default: the bundled ``ttcp@2018`` and the synthetic ``bench@1`` of
``benchmarks/rulesets/``) and each size it generates the units once (Parquet,
deterministic seed), then:

1. checks that the engine and every baseline agree on every unit (every criterion's
   points, total, maximum, index, grade, rank; reason codes where a baseline writes
   them) — a benchmark of a wrong answer is worthless;
2. times each contender as its own process, from process start to results written
   (wall clock), with its peak memory (max RSS of that process), several runs,
   medians. The contenders print their own phase times (load, score, aggregate,
   write), also reported as medians.

Contenders: ``engine`` = ``cchc evaluate RULESET UNITS -o RESULTS.parquet --workers 1``
(the CLI, streaming, one process); ``engine-summary`` = the same with ``--columns
summary`` (unit and result columns only); ``engine-2-processes`` = the same as
``engine`` with ``--workers 2``, which is what the default (one process per core, at
most four) runs on a 2-core machine; ``engine-inmemory`` = the library on the whole table (phases);
``handwritten`` = a one-off numpy program typed in for the ruleset (where there is
one: ``HANDWRITTEN``) writing the engine's columns, and ``handwritten-summary`` the same
writing only the summary columns; ``vectorised`` and ``loop`` = the older baselines.
The headline ratios are the engine's time over ``handwritten``'s, the same file written
by both, and ``engine-summary``'s over ``handwritten-summary``'s, the same summary
file; every time is also given over the engine's. Peak memory of a contender that
starts processes is the sum of their RSS, sampled every 20 ms (pages they share
counted in each, so it errs high).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
PHASES = ("load", "score", "aggregate", "write")
CONTENDERS = (
    "engine",
    "engine-summary",
    "engine-2-processes",
    "engine-inmemory",
    "handwritten",
    "handwritten-summary",
    "vectorised",
    "loop",
)
# The one-off programs typed in for one ruleset each (see baseline_handwritten.py).
HANDWRITTEN = {
    "ttcp@2018": HERE / "baseline_handwritten.py",
    "bench@1": HERE / "baseline_handwritten_bench.py",
}
# Where family@version rulesets are looked up, in order: the benchmark's own, the bundled.
RULESETS_DIRS = (HERE / "rulesets", ROOT / "rulesets")


@dataclass
class Timing:
    walls: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    phases: dict[str, list[float]] = field(default_factory=dict)


def tree_rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants now (KiB), from /proc."""
    total, pending = 0, [pid]
    while pending:
        process = pending.pop()
        try:
            status = Path(f"/proc/{process}/status").read_text()
            total += next(
                int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")
            )
            for task in os.listdir(f"/proc/{process}/task"):
                children = Path(f"/proc/{process}/task/{task}/children").read_text()
                pending.extend(int(child) for child in children.split())
        except (OSError, StopIteration, ValueError):
            continue  # gone meanwhile (or a zombie without VmRSS)
    return total


def run_once(command: list[str], timing: Timing) -> None:
    """Run ``command`` as a child; record wall time, peak RSS (its own, or of all its
    processes if it starts some), its phase times."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err, cwd=ROOT)
        done = threading.Event()
        tree_peak = [0]

        def sample() -> None:
            while not done.wait(0.02):
                tree_peak[0] = max(tree_peak[0], tree_rss_kib(child.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        # wait4 gives this child's own resource usage (ru_maxrss: KiB on Linux).
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode:
            raise SystemExit(f"{' '.join(command)} failed:\n{err.read().decode()}")
        lines = [line for line in out.read().decode().splitlines() if line.startswith("{")]
    timing.walls.append(wall)
    timing.rss_mb.append(max(usage.ru_maxrss, tree_peak[0]) / 1024)
    if lines:
        for phase, seconds in json.loads(lines[-1]).items():
            timing.phases.setdefault(phase, []).append(seconds)


def as_units(column: pa.ChunkedArray, scale: int) -> pa.ChunkedArray:
    """Engine decimals as integers of 1/scale (exact), for comparison with the baselines."""
    if pa.types.is_decimal(column.type):
        scaled = pc.multiply_checked(column, pa.scalar(Decimal(scale), pa.decimal128(18, 0)))
        return pc.cast(scaled, pa.int64())
    return column


def comparable(column: pa.ChunkedArray, scale: int) -> pa.ChunkedArray:
    """Values any contender can be compared on: decimals as integers of 1/scale, reason
    codes as their names."""
    if pa.types.is_dictionary(column.type):
        return column.cast(pa.string())
    return as_units(column, scale)


@dataclass(frozen=True)
class Ruleset:
    ref: str
    toml: Path
    rulesets_dir: Path

    @property
    def slug(self) -> str:
        return self.ref.replace("@", "-")

    def dir_option(self) -> list[str]:
        """``--rulesets-dir DIR`` when the ruleset is not a bundled one."""
        bundled = self.rulesets_dir == RULESETS_DIRS[-1]
        return [] if bundled else ["--rulesets-dir", str(self.rulesets_dir)]


def find(ref: str) -> Ruleset:
    family, _, version = ref.partition("@")
    for directory in RULESETS_DIRS:
        toml = directory / family / f"{version}.toml"
        if toml.exists():
            return Ruleset(ref, toml, directory)
    raise SystemExit(f"no ruleset {ref} in {' or '.join(str(d) for d in RULESETS_DIRS)}")


def units_file(workdir: Path, ruleset: Ruleset, size: int) -> Path:
    """The units of one size, generated once: the name carries a digest of the generator
    and the ruleset, so a change to either generates them again instead of reusing stale
    ones."""
    digest = hashlib.sha256((HERE / "generate_units.py").read_bytes())
    digest.update(ruleset.toml.read_bytes())
    return workdir / f"units-{ruleset.slug}-{size}-{digest.hexdigest()[:8]}.parquet"


def agree(engine: Path, baseline: Path, name: str) -> None:
    ours, theirs = pq.read_table(engine), pq.read_table(baseline)
    if ours.num_rows != theirs.num_rows:
        raise SystemExit(f"{name}: {theirs.num_rows} units, the engine {ours.num_rows}")
    for column in theirs.column_names:
        if column not in ours.column_names:
            raise SystemExit(f"{name} writes {column!r}, which the engine does not")
        if ours.column(column).equals(theirs.column(column)):
            continue
        # Not the same array: the same values in another type (the older baselines write
        # points as int64 hundredths), or a difference to report.
        kind = ours.schema.field(column).type
        scale = 10**kind.scale if pa.types.is_decimal(kind) else 1
        mine = comparable(ours.column(column), scale)
        other = comparable(theirs.column(column), scale)
        same_nulls = pc.equal(mine.is_null(), other.is_null())
        same_values = pc.fill_null(pc.equal(mine, other.cast(mine.type)), True)
        bad = np.flatnonzero(~pc.and_(same_nulls, same_values).to_numpy())
        if len(bad):
            unit = ours.column("unit_id")[int(bad[0])]
            raise SystemExit(f"{name} disagrees on {column} for {len(bad)} units, e.g. {unit}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rulesets", "--ruleset", nargs="+", default=["ttcp@2018", "bench@1"], metavar="REF"
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--loop-max", type=int, default=1_000_000, help="largest size for loop")
    parser.add_argument("--loop-runs", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=ROOT / "out" / "bench")
    if argv[:1] == ["--agree"]:
        # --agree ENGINE.parquet NAME=RESULTS.parquet …
        for pair in argv[2:]:
            name, _, path = pair.partition("=")
            agree(Path(argv[1]), Path(path), name)
        return 0
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    rulesets = [find(ref) for ref in args.rulesets]
    for ruleset in rulesets:
        criteria = leaves(ruleset.toml)
        for size in args.sizes:
            print(bench(ruleset, size, criteria, args), flush=True)
    return 0


def bench(ruleset: Ruleset, size: int, criteria: int, args: argparse.Namespace) -> str:
    """Generate (once), check agreement, time: the markdown table of one ruleset and size."""
    return table(size, measure(ruleset, size, args), ruleset.ref, criteria)


def measure(ruleset: Ruleset, size: int, args: argparse.Namespace) -> dict[str, Timing]:
    """Generate the units (once), check that every contender agrees with the engine, and
    time each contender ``args.runs`` times: their timings, by name."""
    python = str(BIN / "python")
    units = units_file(args.workdir, ruleset, size)
    if not units.exists():
        subprocess.run(
            [
                python,
                str(HERE / "generate_units.py"),
                *ruleset.dir_option(),
                ruleset.ref,
                str(size),
                str(units),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    out = {name: args.workdir / f"{ruleset.slug}-{name}-{size}.parquet" for name in CONTENDERS}
    commands = {
        "engine": [
            str(BIN / "cchc"),
            *ruleset.dir_option(),
            "evaluate",
            ruleset.ref,
            str(units),
            "-o",
            str(out["engine"]),
            "--force",
            "--workers",
            "1",
        ],
        "engine-summary": [
            str(BIN / "cchc"),
            *ruleset.dir_option(),
            "evaluate",
            ruleset.ref,
            str(units),
            "-o",
            str(out["engine-summary"]),
            "--force",
            "--workers",
            "1",
            "--columns",
            "summary",
        ],
        "engine-2-processes": [
            str(BIN / "cchc"),
            *ruleset.dir_option(),
            "evaluate",
            ruleset.ref,
            str(units),
            "-o",
            str(out["engine-2-processes"]),
            "--force",
            "--workers",
            "2",
        ],
        # engine_phases.py takes no rulesets directory: the TOML path names the ruleset.
        "engine-inmemory": [
            python,
            str(HERE / "engine_phases.py"),
            str(ruleset.toml),
            str(units),
            str(out["engine-inmemory"]),
        ],
        "vectorised": [
            python,
            str(HERE / "baseline_vectorised.py"),
            str(ruleset.toml),
            str(units),
            str(out["vectorised"]),
        ],
        "loop": [
            python,
            str(HERE / "baseline_loop.py"),
            str(ruleset.toml),
            str(units),
            str(out["loop"]),
        ],
    }
    if ruleset.ref in HANDWRITTEN:
        for name, columns in (("handwritten", "all"), ("handwritten-summary", "summary")):
            program = str(HANDWRITTEN[ruleset.ref])
            commands[name] = [python, program, str(units), str(out[name]), "--columns", columns]
    timings = {name: Timing() for name in CONTENDERS}
    with_loop = size <= args.loop_max
    contenders = [
        name for name in CONTENDERS if name in commands and (name != "loop" or with_loop)
    ]
    # First runs double as the correctness check.
    for name in contenders:
        run_once(commands[name], timings[name])
    # NOTE: in a child process: a forked child starts with its parent's peak RSS on
    # Linux, so this process must never hold the big tables it compares.
    subprocess.run(
        [
            python,
            __file__,
            "--agree",
            str(out["engine"]),
            *(f"{name}={out[name]}" for name in contenders if name != "engine"),
        ],
        check=True,
    )
    # NOTE: later rounds alternate the order: on this VM a process that follows one
    # which freed a lot of memory starts on warm pages, so a fixed order favours some.
    for round_number in range(args.runs - 1):
        ordered = contenders if round_number % 2 else contenders[::-1]
        for name in ordered:
            if name != "loop":
                run_once(commands[name], timings[name])
    for _ in range(args.loop_runs - 1 if with_loop else 0):
        run_once(commands["loop"], timings["loop"])
    return timings


def leaves(toml: Path) -> int:
    sys.path.insert(0, str(HERE))
    import tomllib

    from baseline_vectorised import leaves as walk

    return len(walk(tomllib.loads(toml.read_text(encoding="utf-8"))))


def table(size: int, timings: dict[str, Timing], ruleset: str, criteria: int) -> str:
    """The markdown table of one ruleset and size; with a handwritten program, a headline
    line first: the engine against it, both writing the same columns (all of them, and
    the summary only)."""
    wall = {name: statistics.median(t.walls) for name, t in timings.items() if t.walls}
    rss = {name: statistics.median(t.rss_mb) for name, t in timings.items() if t.walls}
    bar = wall.get("handwritten")
    lines = [
        f"\n### {size:,} units × {criteria} criteria ({ruleset}), medians of "
        f"{len(timings['engine'].walls)} runs (loop: {len(timings['loop'].walls)})\n",
    ]
    if bar is not None:
        summary = wall["handwritten-summary"]
        lines.append(
            f"Equal outputs: engine ÷ handwritten = **{wall['engine'] / bar:.2f}×** the time "
            f"({wall['engine']:.2f} ÷ {bar:.2f} s), {rss['engine'] / rss['handwritten']:.2f}× "
            f"the peak memory; with 2 processes "
            f"{wall['engine-2-processes'] / bar:.2f}×. Summary columns only: engine-summary "
            f"÷ handwritten-summary = **{wall['engine-summary'] / summary:.2f}×** the time "
            f"({wall['engine-summary']:.2f} ÷ {summary:.2f} s), "
            f"{rss['engine-summary'] / rss['handwritten-summary']:.2f}× the peak memory.\n"
        )
    lines += [
        "| contender | total s | load | score | aggregate | write | units/s | "
        "unit×criterion/s | peak RSS MB | total ÷ handwritten | total ÷ engine |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, timing in timings.items():
        if name not in wall:
            continue
        phases = [
            f"{statistics.median(timing.phases[p]):.2f}" if p in timing.phases else "—"
            for p in PHASES
        ]
        over_bar = f"{wall[name] / bar:.2f}" if bar is not None else "—"
        lines.append(
            f"| {name} | {wall[name]:.2f} | {' | '.join(phases)} | {size / wall[name]:,.0f} | "
            f"{size * criteria / wall[name]:,.0f} | {rss[name]:,.0f} | {over_bar} | "
            f"{wall[name] / wall['engine']:.2f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
