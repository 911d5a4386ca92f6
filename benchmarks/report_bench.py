#!/usr/bin/env python3
"""Time the HTML report (``cchc report``) and the unit scorecards on many units.

    python benchmarks/report_bench.py                      # 10,000 units of ttcp@2018
    python benchmarks/report_bench.py --units 1000 --scorecards 50 --workdir out/rb

Units come from ``generate_units.py`` (reused while the file exists). The headline is
``cchc report`` in its own process, start to file written, as a user runs it: first
without the unit sections (``--no-unit-sections``: summary, charts and table),
then with them (``--unit-sections``); then the
same report through the API, split into its phases (scoring, the batch of explanations
``Scorecards.explain_positions`` gives the unit sections, charts and the one template
render); then scorecard documents for the first
``--scorecards`` units (each draws its own area chart), per document.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import cchc_rules
from cchc_rules import api

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def units_file(ruleset: str, count: int, workdir: Path) -> Path:
    """``count`` generated units of ``ruleset`` in ``workdir``, generated once and reused
    (the annex benchmark shares them)."""
    path = workdir / f"units-{ruleset.replace('@', '-')}-{count}.parquet"
    if not path.exists():
        subprocess.run(
            [sys.executable, str(HERE / "generate_units.py"), ruleset, str(count), str(path)],
            check=True,
        )
    return path


def _cli_report(ruleset: str, units: Path, output: Path, *options: str) -> dict[str, float]:
    """``cchc report`` in a fresh process: seconds, file size (MB), and the peak memory
    (MiB) of the largest child process so far."""
    start = time.perf_counter()
    subprocess.run(
        [str(BIN / "cchc"), "report", ruleset, str(units), "-o", str(output), "--force", *options],
        check=True,
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mib": peak, "size_mb": output.stat().st_size / 1e6}


def _phases(ruleset: str, units: Path, lang: str) -> dict[str, float]:
    """The report through the API, phase by phase (seconds)."""
    start = time.perf_counter()
    cards = cchc_rules.evaluate(ruleset, units)
    scored = time.perf_counter()
    for _ in cards.explain_positions(cards.ranked_order(), lang=lang):
        pass
    explained = time.perf_counter()
    api.report_html(cards, lang=lang, unit_sections=True)
    done = time.perf_counter()
    return {
        "score": scored - start,
        "explain_all": explained - scored,
        # The report explains every unit again: the rest is charts, rows and the render.
        "report_html": done - explained,
        "charts_and_render": (done - explained) - (explained - scored),
    }


def _scorecards(ruleset: str, units: Path, count: int, workdir: Path) -> dict[str, float]:
    cards = cchc_rules.evaluate(ruleset, units)
    chosen = cards.units.unit_ids.to_pylist()[:count]
    start = time.perf_counter()
    api.write_scorecards(cards, workdir / "scorecards", unit_ids=chosen, force=True)
    seconds = time.perf_counter() - start
    return {"documents": len(chosen), "seconds": seconds, "ms_each": 1000 * seconds / count}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ruleset", default="ttcp@2018")
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--scorecards", type=int, default=100)
    parser.add_argument("--lang", default="vi")
    parser.add_argument("--workdir", type=Path, default=Path("out/report-bench"))
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    units = units_file(args.ruleset, args.units, args.workdir)
    results = {
        "ruleset": args.ruleset,
        "units": args.units,
        "cli_report_no_unit_sections": _cli_report(
            args.ruleset, units, args.workdir / "summary.html", "--no-unit-sections"
        ),
        "cli_report": _cli_report(
            args.ruleset, units, args.workdir / "report.html", "--unit-sections"
        ),
        "api_phases": _phases(args.ruleset, units, args.lang),
        "scorecards": _scorecards(args.ruleset, units, args.scorecards, args.workdir),
    }
    for key in ("cli_report_no_unit_sections", "cli_report"):
        cli = results[key]
        print(
            f"{key}, {args.units:,} units: {cli['seconds']:.1f} s, "
            f"{cli['size_mb']:.1f} MB, peak {cli['peak_mib']:.0f} MiB"
        )
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
