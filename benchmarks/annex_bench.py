#!/usr/bin/env python3
"""Time the annex workbook (``cchc evaluate … --layout annex``) on many units.

    python benchmarks/annex_bench.py                       # 10,000 units of ttcp@2018
    python benchmarks/annex_bench.py --units 1000 --data-layout

Units come from ``generate_units.py`` (reused while the file exists). Scoring and the
workbook are timed apart, through the API; then ``cchc evaluate -o annex.xlsx --layout
annex`` in its own process, start to file written, as a user runs it. ``--data-layout``
also times the one-sheet data table (openpyxl) on the same scorecards, for comparison.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from report_bench import units_file  # this directory is on the path of a script run here

import cchc_rules
from cchc_rules import api
from cchc_rules.reports._formats import table_bytes
from cchc_rules.reports._table import scorecards_table

BIN = Path(sys.executable).parent


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ruleset", default="ttcp@2018")
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--lang", default="vi")
    parser.add_argument("--workdir", type=Path, default=Path("out/annex-bench"))
    parser.add_argument("--data-layout", action="store_true", help="also time --layout data")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    units = units_file(args.ruleset, args.units, args.workdir)

    start = time.perf_counter()
    cards = cchc_rules.evaluate(args.ruleset, units)
    scored = time.perf_counter()
    annex = api.annex_xlsx(cards, args.lang, source=units)
    written = time.perf_counter()
    results: dict[str, object] = {
        "ruleset": args.ruleset,
        "units": args.units,
        "score_s": scored - start,
        "annex_xlsx_s": written - scored,
        "annex_mb": len(annex) / 1e6,
    }
    if args.data_layout:
        before = time.perf_counter()
        table_bytes(scorecards_table(cards, args.lang), "xlsx")
        results["data_xlsx_s"] = time.perf_counter() - before

    output = args.workdir / "annex.xlsx"
    command = [str(BIN / "cchc"), "evaluate", args.ruleset, str(units), "-o", str(output)]
    begin = time.perf_counter()
    subprocess.run([*command, "--layout", "annex", "--force"], check=True)
    results["cli_annex_s"] = time.perf_counter() - begin

    print(
        f"annex, {args.units:,} units: workbook {results['annex_xlsx_s']:.1f} s "
        f"(scoring {results['score_s']:.1f} s), cchc evaluate --layout annex "
        f"{results['cli_annex_s']:.1f} s"
    )
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
