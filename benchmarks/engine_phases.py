"""The engine in one process, whole table in memory, timed phase by phase.

    python benchmarks/engine_phases.py RULESET UNITS.parquet RESULTS.parquet

The same phases as the baselines (load = imports excluded, ruleset + units read and
validated; score; aggregate = totals, grades, ranks; write = result table to Parquet),
so the engine's cost can be read phase against phase. Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

import cchc_rules
from cchc_rules.inputs._units import read_units
from cchc_rules.results._scorecards import Scorecards
from cchc_rules.scoring._aggregate import aggregate
from cchc_rules.scoring._engine import score_units


def main(argv: list[str]) -> int:
    ruleset_ref, units_path, output = argv[0], Path(argv[1]), Path(argv[2])
    clock = time.perf_counter()
    phases: dict[str, float] = {}
    ruleset = cchc_rules.load_ruleset(ruleset_ref)
    units = read_units(units_path, ruleset.model)
    phases["load"], clock = time.perf_counter() - clock, time.perf_counter()
    matrix = score_units(ruleset, units)
    phases["score"], clock = time.perf_counter() - clock, time.perf_counter()
    aggregates = aggregate(ruleset, units, matrix)
    phases["aggregate"], clock = time.perf_counter() - clock, time.perf_counter()
    pq.write_table(Scorecards(ruleset, units, matrix, aggregates).to_arrow(), output)
    phases["write"] = time.perf_counter() - clock
    print(json.dumps(phases))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
