"""Generate a units table of any size (10 thousand to 10 million) for a ruleset's facts.

    python benchmarks/generate_units.py ttcp@2018 1000000 out/1m.parquet --csv out/1m.csv
    python benchmarks/generate_units.py ttcp@2018 1000000 out/units-1m/ --files 8
    python benchmarks/generate_units.py bench@1 100000 out/bench.parquet \
        --rulesets-dir benchmarks/rulesets

Values follow each fact's declared type and range with a realistic skew: a unit's
"quality" (Beta(8, 1.5): most units near compliant, a tail of poor ones) drives all its
facts, so poor units are poor across criteria; about 1 % of the optional facts are
missing. Quantities a ratio criterion divides (integer or decimal) are drawn so the
numerator never exceeds its denominator, and about 10 % of denominators are 0 (nothing
arose this year). Survey scores and appraised points follow the unit's quality within
their declared range; event counts (deductions) are mostly 0, more for poor units.

Units are generated and written in chunks (one Parquet row group each), so memory stays
bounded by the chunk whatever the count. The output is deterministic for a seed and a
chunk size: chunk ``k`` draws from its own generator seeded by ``(seed, k)``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

import cchc_rules
from cchc_rules.results._scorecards import decimal_array
from cchc_rules.ruleset._compiled import CompiledRuleset
from cchc_rules.ruleset._models import FactSpec

MISSING_SHARE = 0.01
DEFAULT_SEED = 20181206
DEFAULT_CHUNK_ROWS = 100_000
# The parameter naming the fact that grades the unit, by kind.
GRADED_BY = {"survey_scaled": "score", "appraised": "points"}


def _pairs(ruleset: CompiledRuleset) -> dict[str, str]:
    """numerator fact → denominator fact, from the ratio kinds' parameters."""
    pairs = {}
    for leaf in ruleset.leaves:
        params = leaf.kind.params
        numerator = getattr(params, "numerator", None)
        denominator = getattr(params, "denominator", None)
        if isinstance(numerator, str) and isinstance(denominator, str):
            pairs[numerator] = denominator
    return pairs


def _graded(ruleset: CompiledRuleset) -> set[str]:
    """Facts that grade the unit (survey scores, appraised points)."""
    return {
        getattr(leaf.kind.params, GRADED_BY[leaf.kind.name])
        for leaf in ruleset.leaves
        if leaf.kind.name in GRADED_BY
    }


def _bad_when_true(ruleset: CompiledRuleset) -> set[str]:
    """Boolean facts a flag rewards when false (over quota, had an incident)."""
    return {
        leaf.kind.params.fact
        for leaf in ruleset.leaves
        if leaf.kind.name == "flag" and not leaf.kind.params.good_when
    }


def _type_shares(types: int) -> list[float]:
    first = 0.7 if types > 1 else 1.0
    rest = (1 - first) / (types - 1) if types > 1 else 0.0
    return [first] + [rest] * (types - 1)


def _scale(spec: FactSpec) -> int:
    """A numeric fact's values are generated as integers of 1/scale."""
    return 10 ** (spec.decimals or 0) if spec.type == "decimal" else 1


def _bounds(spec: FactSpec, default_span: int) -> tuple[int, int]:
    """The declared range in units of 1/scale (``default_span`` units above ``min`` if open)."""
    scale = _scale(spec)
    low = int(spec.min * scale) if spec.min is not None else 0
    high = int(spec.max * scale) if spec.max is not None else low + default_span
    return low, high


def generate_chunk(
    ruleset: CompiledRuleset, start: int, count: int, rng: np.random.Generator
) -> pa.Table:
    """Units ``start … start + count - 1`` (ids ``U00000000`` on)."""
    model = ruleset.model
    unit_types = list(model.unit_types)
    types = rng.choice(unit_types, size=count, p=_type_shares(len(unit_types)))
    numbers = np.arange(start, start + count)
    columns: dict[str, pa.Array] = {
        "unit_id": pa.array(np.char.add("U", np.char.zfill(numbers.astype(str), 8))),
        "name": pa.array(np.char.add("Đơn vị ", numbers.astype(str))),
        "unit_type": pa.array(types),
    }
    quality = rng.beta(8, 1.5, size=count)
    pairs = _pairs(ruleset)
    graded = _graded(ruleset)
    inverted = _bad_when_true(ruleset)
    # Numeric facts as integers of 1/scale (decimal facts in units of their last digit).
    values: dict[str, npt.NDArray[np.int64]] = {}
    for name, spec in model.facts.items():
        if spec.type not in ("integer", "decimal") or name in pairs or name in pairs.values():
            continue
        if spec.type == "decimal" or name in graded:
            # The unit's quality placed within the range; the best graded units (surveys,
            # appraisals) get the top of it, as the best units do.
            low, high = _bounds(spec, 100 * _scale(spec))
            stretch = 1.1 if name in graded else 1.0
            steps = np.floor(quality * stretch * (high - low + (spec.type == "integer")))
            values[name] = low + np.minimum(steps, high - low).astype(np.int64)
            continue
        low, high = _bounds(spec, 60)
        if low < 0 <= high:
            # signed facts such as "days late": mostly on time, a tail late
            late = rng.integers(1, 40, count)
            values[name] = np.where(rng.random(count) < quality, 0, late).astype(np.int64)
        elif low == 0:
            # event counts (violations, incidents): mostly none, more for poor units
            values[name] = np.minimum(rng.poisson(3 * (1 - quality)), high).astype(np.int64)
        else:
            values[name] = rng.integers(low, min(high, low + 60) + 1, count)
    for numerator, denominator in pairs.items():
        due_spec, done_spec = model.facts[denominator], model.facts[numerator]
        if denominator not in values:
            # ~10 % of units had nothing due this year: a zero denominator
            if due_spec.type == "integer":
                due = rng.integers(0, 40, count)
            else:
                due = rng.integers(0, _bounds(due_spec, 100 * _scale(due_spec))[1] + 1, count)
            values[denominator] = np.where(rng.random(count) < 0.1, 0, due).astype(np.int64)
        share = np.clip(quality + rng.normal(0, 0.05, count), 0, 1)
        rescale = _scale(done_spec) / _scale(due_spec)
        values[numerator] = np.floor(values[denominator] * share * rescale).astype(np.int64)
    for name, spec in model.facts.items():
        missing = (rng.random(count) < MISSING_SHARE) if not spec.required else None
        if spec.type == "boolean":
            good = rng.random(count) < 0.5 + 0.5 * quality
            array = pa.array(good != (name in inverted), mask=missing)
        elif spec.type == "integer":
            array = pa.array(values[name], pa.int64(), mask=missing)
        elif spec.type == "decimal":
            array = decimal_array(values[name], _scale(spec), None if missing is None else ~missing)
        elif spec.type == "text":
            array = pa.array(np.full(count, "Ghi chú của Hội đồng thẩm định"), pa.string())
        else:
            days = rng.integers(17_500, 17_900, count)
            array = pa.array(days.astype("datetime64[D]"), pa.date32(), mask=missing)
        columns[name] = array
    for leaf in ruleset.leaves:
        # "days late" is given exactly for work that was done, as the kind requires.
        done = getattr(leaf.kind.params, "done", None)
        days_late = getattr(leaf.kind.params, "days_late", None)
        if isinstance(done, str) and isinstance(days_late, str):
            was_done = columns[done].fill_null(False).to_numpy(zero_copy_only=False)
            values_late = columns[days_late].fill_null(0).to_numpy(zero_copy_only=False)
            columns[days_late] = pa.array(values_late, pa.int64(), mask=~was_done)
    return pa.table(columns)


def chunks(
    ruleset: CompiledRuleset,
    count: int,
    *,
    seed: int = DEFAULT_SEED,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Iterator[pa.Table]:
    """The units in chunks of ``chunk_rows``, deterministic for ``seed``."""
    for number, start in enumerate(range(0, count, chunk_rows)):
        rng = np.random.default_rng([seed, number])
        yield generate_chunk(ruleset, start, min(chunk_rows, count - start), rng)


def generate(ruleset: CompiledRuleset, count: int, seed: int = DEFAULT_SEED) -> pa.Table:
    """The whole table in memory (small counts: tests)."""
    tables = list(chunks(ruleset, count, seed=seed))
    return (
        pa.concat_tables(tables)
        if tables
        else generate_chunk(ruleset, 0, 0, np.random.default_rng(seed))
    )


def write_units(
    ruleset: CompiledRuleset,
    count: int,
    parquet: Path | None,
    *,
    csv: Path | None = None,
    files: int = 1,
    seed: int = DEFAULT_SEED,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> None:
    """Write ``count`` units to Parquet (one file, or ``files`` files in a directory) and CSV."""
    writers: list[pq.ParquetWriter] = []
    csv_writer: pacsv.CSVWriter | None = None
    total_chunks = max(1, -(-count // chunk_rows))
    per_file = -(-total_chunks // files)
    try:
        for number, table in enumerate(chunks(ruleset, count, seed=seed, chunk_rows=chunk_rows)):
            if parquet is not None:
                part = number // per_file
                if part == len(writers):
                    target = parquet / f"part-{part:04d}.parquet" if files > 1 else parquet
                    target.parent.mkdir(parents=True, exist_ok=True)
                    writers.append(pq.ParquetWriter(target, table.schema))
                writers[part].write_table(table)
            if csv is not None:
                if csv_writer is None:
                    csv.parent.mkdir(parents=True, exist_ok=True)
                    csv_writer = pacsv.CSVWriter(csv, table.schema)
                csv_writer.write_table(table)
    finally:
        for writer in writers:
            writer.close()
        if csv_writer is not None:
            csv_writer.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ruleset", help="family@version or a TOML path")
    parser.add_argument("count", type=int)
    parser.add_argument("output", type=Path, help="a .parquet file, or a directory with --files")
    parser.add_argument("--csv", type=Path, help="also write the units to this CSV file")
    parser.add_argument("--files", type=int, default=1, help="split the Parquet into N files")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--chunk-rows", type=int, default=DEFAULT_CHUNK_ROWS)
    parser.add_argument(
        "--rulesets-dir", type=Path, help="where family@version rulesets live (default: bundled)"
    )
    args = parser.parse_args(argv)
    ruleset = cchc_rules.load_ruleset(args.ruleset, rulesets_dir=args.rulesets_dir)
    write_units(
        ruleset,
        args.count,
        args.output,
        csv=args.csv,
        files=args.files,
        seed=args.seed,
        chunk_rows=args.chunk_rows,
    )
    print(f"wrote {args.count} units to {args.output}" + (f" and {args.csv}" if args.csv else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
