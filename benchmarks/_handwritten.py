"""What the handwritten baselines share: the seven kinds over whole columns, the
applicability rules around them, reading the units, totals to ranks, and the file.

Each ``baseline_handwritten*.py`` is one ruleset typed in from its TOML (facts,
criteria, grading, peer groups) and calls :func:`main`; nothing here reads a TOML or
knows a criterion. Points are integers in hundredths; every comparison with a percent
or a threshold is an integer cross-multiplication.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Codes = npt.NDArray[np.int16]
Percent = int | Fraction
"""A percent or index threshold as written in the TOML (``Fraction("70.5")``)."""

SUMMARY = [
    "unit_id", "name", "unit_type", "peer_group", "total", "applicable_max", "index", "grade",
    "grade_name", "rank", "status",
]
POINTS = pa.decimal64(18, 2)  # the engine's type for points and indexes

# Reason codes as the engine names them: the kind's own, then the engine's.
KIND_REASONS = {
    "flag": ["met", "not_met"],
    "ratio_bands": [
        "top_band", "band", "below_bands", "zero_denominator_na", "zero_denominator_full",
    ],
    "proportional": ["at_target", "partial", "zero_denominator_na", "zero_denominator_full"],
    "deadline_steps": ["on_time", "late_step", "too_late", "not_done", "late_open_step"],
    "deduction": ["none", "deducted", "floored"],
    "survey_scaled": ["full", "scaled"],
    "appraised": ["full", "adjusted"],
}
ENGINE_REASONS = [
    "not_applicable_unit_type", "not_applicable_condition", "missing_zero",
    "missing_not_applicable", "full_points_condition",
]


class Scored(NamedTuple):
    """One criterion for every unit; points in hundredths, 0 where not applicable."""

    kind: str
    max_units: int
    points: Ints
    reason: Codes
    applicable: Bools


def everyone(like: Ints | Bools) -> Bools:
    """Applicable to every unit (the kind itself never drops one)."""
    return np.ones(len(like), bool)


def codes(*choices: tuple[Bools, int], otherwise: int) -> Codes:
    """The first choice whose mask holds, per unit."""
    return np.select([c for c, _ in choices], [r for _, r in choices], otherwise).astype(np.int16)


# -- the seven kinds, over whole columns -----------------------------------------------------


def flag(max_units: int, met: Bools) -> Scored:
    """All the points or none; reasons met (0) and not_met (1)."""
    return Scored(
        "flag", max_units, np.where(met, max_units, 0), (~met).astype(np.int16), everyone(met)
    )


def _zero_denominator(scored: Scored, nothing_due: Bools, zero: str) -> Scored:
    """A ratio's units with nothing due: the maximum (``zero = "full"``), or not applicable
    (``"na"``)."""
    points, reason, applicable = scored.points, scored.reason, scored.applicable
    vocabulary = KIND_REASONS[scored.kind]
    if zero == "full":
        points[nothing_due] = scored.max_units
        reason[nothing_due] = vocabulary.index("zero_denominator_full")
    else:
        points[nothing_due] = 0
        reason[nothing_due] = vocabulary.index("zero_denominator_na")
        applicable = applicable & ~nothing_due
    return scored._replace(applicable=applicable)


def ratio_bands(
    max_units: int, done: Ints, due: Ints, bands: dict[Percent, int], *, zero: str
) -> Scored:
    """``bands``: min percent → points, from the top; the first one reached pays.
    ``done`` and ``due`` on one scale. ``zero``: what a zero denominator gives, ``"na"``
    (not applicable) or ``"full"``."""
    band = np.full(len(done), len(bands))
    for position, percent in reversed(list(enumerate(bands))):
        p, q = Fraction(percent).as_integer_ratio()
        band[done * 100 * q >= due * p] = position
    points = np.array([*bands.values(), 0])[band]
    top = next(iter(bands.values()))
    reason = codes((points == top, 0), (band < len(bands), 1), otherwise=2)
    return _zero_denominator(
        Scored("ratio_bands", max_units, points, reason, everyone(due)), due == 0, zero
    )


def proportional(
    max_units: int, done: Ints, due: Ints, *, zero: str, target_percent: int = 100
) -> Scored:
    """``max_units × min(ratio ÷ target, 1)``, rounded half-up in integers; ``done`` and
    ``due`` on one scale."""
    nothing_due = due == 0
    target = np.where(nothing_due, 1, due) * target_percent
    reached = np.minimum(done * 100, target)
    points = (2 * reached * max_units + target) // (2 * target)
    reason = (points != max_units).astype(np.int16)  # at_target, partial
    return _zero_denominator(
        Scored("proportional", max_units, points, reason, everyone(due)), nothing_due, zero
    )


def deadline_steps(
    max_units: int,
    days_late: Ints,
    steps: dict[int, int],
    *,
    done: Bools | None = None,
    when: dict[int, Bools] | None = None,
) -> Scored:
    """``steps``: max days late → points, in order; the first step reached pays, unless
    ``when`` gives it a condition the unit does not meet (it then falls to the next).
    Later than every step: 0; not ``done``: 0 whatever the delay."""
    step = np.full(len(days_late), len(steps))
    for position, limit in reversed(list(enumerate(steps))):
        reached = days_late <= limit
        if when is not None and limit in when:
            reached &= when[limit]
        step[reached] = position
    points = np.array([*steps.values(), 0])[step]
    on_time = days_late <= 0
    points[on_time] = max_units
    not_done = np.zeros(len(days_late), bool) if done is None else ~done
    points[not_done] = 0
    reason = codes((not_done, 3), (on_time, 0), (step < len(steps), 1), otherwise=2)
    return Scored("deadline_steps", max_units, points, reason, everyone(days_late))


def deduction(max_units: int, events: Ints, *, per_event: int, free: int = 0) -> Scored:
    counted = np.maximum(events - free, 0)
    points = np.maximum(max_units - counted * per_event, 0)
    reason = codes((counted == 0, 0), (points > 0, 1), otherwise=2)
    return Scored("deduction", max_units, points, reason, everyone(events))


def survey_scaled(max_units: int, score: Ints, *, top: int) -> Scored:
    """``score`` and ``top`` (the best score) in the fact's own units; rounded half-up."""
    points = (2 * np.clip(score, 0, top) * max_units + top) // (2 * top)
    reason = (points != max_units).astype(np.int16)  # full, scaled
    return Scored("survey_scaled", max_units, points, reason, everyone(score))


def appraised(max_units: int, given: Ints) -> Scored:
    """The council's points, given in hundredths like ours."""
    points = np.clip(given, 0, max_units)
    reason = (points != max_units).astype(np.int16)  # full, adjusted
    return Scored("appraised", max_units, points, reason, everyone(given))


def settle(
    scored: Scored,
    *,
    only: Bools | None = None,
    condition: Bools | None = None,
    missing: Bools | None = None,
    missing_drops: bool = False,
) -> Scored:
    """The applicability rules around a kind, in the order the reasons report them: the
    unit type, then the condition, then missing facts (0 points, or not applicable with
    ``when_missing = "not_applicable"``), then what the kind said.

    A condition that cannot be decided (an optional fact it needs is empty) counts as
    holding here and its units belong in ``missing``: they follow ``when_missing``."""
    points, reason, applicable = scored.points, scored.reason, scored.applicable
    engine = len(KIND_REASONS[scored.kind])
    if missing is not None:
        points = np.where(missing, 0, points)
        reason = np.where(missing, engine + 2 + missing_drops, reason).astype(np.int16)
        applicable = np.where(missing, not missing_drops, applicable)
    for mask, code in ((condition, engine + 1), (only, engine)):
        if mask is not None:
            points = np.where(mask, points, 0)
            reason = np.where(mask, reason, code).astype(np.int16)
            applicable = applicable & mask
    return scored._replace(points=points, reason=reason, applicable=applicable)


# -- the units -------------------------------------------------------------------------------


class Units:
    """The units file, only the columns the ruleset needs. ``units.some_fact`` is the
    fact as numpy: booleans and integers with empty cells as false / 0, decimals as
    their digits (12.5 with one decimal is 125) with empty cells as 0."""

    def __init__(self, path: str, facts: list[str]) -> None:
        wanted = ["unit_id", "name", "unit_type", *facts]
        if "peer_group" in pq.read_schema(path).names:
            wanted.append("peer_group")
        self.table = pq.read_table(path, columns=wanted)
        self.unit_type = self.table.column("unit_type")
        self.facts = {name: self._values(self.table.column(name)) for name in facts}

    def __getattr__(self, name: str) -> Any:
        return self.__dict__["facts"][name]

    @staticmethod
    def _values(column: pa.ChunkedArray) -> Any:
        if column.null_count:
            column = column.fill_null(False if pa.types.is_boolean(column.type) else 0)
        if pa.types.is_decimal(column.type):
            column = column.cast(pa.decimal64(18, column.type.scale))
            return np.concatenate(
                [
                    np.frombuffer(c.buffers()[1], np.int64)[c.offset : c.offset + len(c)]
                    for c in column.chunks
                ]
            )
        return column.to_numpy()

    def of_type(self, *unit_types: str) -> Bools:
        return pc.is_in(self.unit_type, pa.array(unit_types)).to_numpy(zero_copy_only=False)

    def missing(self, *names: str) -> Bools:
        columns = [self.table.column(n).is_null().to_numpy(zero_copy_only=False) for n in names]
        return np.logical_or.reduce(columns)

    def ratio_missing(self, numerator: str, denominator: str) -> Bools:
        """A missing denominator, or a missing numerator over a denominator above 0: a
        zero denominator decides without its numerator (docs/decisions/0023)."""
        den = self.table.column(denominator)
        above_zero = pc.fill_null(pc.not_equal(den, 0), True).to_numpy(zero_copy_only=False)
        return self.missing(denominator) | (above_zero & self.missing(numerator))

    def late_missing(self, days_late: str, done: str) -> Bools:
        """A missing ``done``, or a missing delay of work done: work not done is decided
        without its delay (docs/decisions/0023)."""
        not_done = ~self.missing(done) & ~self.facts[done]
        return self.missing(done) | (self.missing(days_late) & ~not_done)


# -- totals to ranks, and the file -----------------------------------------------------------


class Grading(NamedTuple):
    """Grades best first with their names; per unit type, (grade, min index %) best first."""

    names: dict[str, str]
    bands: dict[str, list[tuple[str, Percent]]]


class Totals(NamedTuple):
    """Per unit, in hundredths: each area's (earned, possible), the total, the maximum;
    then grade (an index into the grades, -1 for none), peer group and rank."""

    areas: dict[str, tuple[Ints, Ints]]
    total: Ints
    maximum: Ints
    grade: npt.NDArray[np.int8]
    peer_group: pa.Array | pa.ChunkedArray
    rank: Ints


def aggregate(
    units: Units, c: dict[str, Scored], grading: Grading, peer_groups: dict[str, str], ties: str
) -> Totals:
    """Areas, total, grade, rank. ``peer_groups``: unit type → its peer group where the
    file gives none; ``ties``: ``"shared"`` (1 + units above) or ``"dense"`` (1 + distinct
    indexes above)."""
    size = units.table.num_rows
    areas: dict[str, tuple[Ints, Ints]] = {}
    for criterion, scored in c.items():
        # The area is the id's letter.
        earned, possible = areas.setdefault(
            criterion[0], (np.zeros(size, np.int64), np.zeros(size, np.int64))
        )
        earned += scored.points
        possible += scored.applicable * scored.max_units
    total = sum(earned for earned, _ in areas.values())
    maximum = sum(possible for _, possible in areas.values())
    graded = maximum > 0
    grades = list(grading.names)
    grade = np.full(size, -1, np.int8)
    for unit_type, bands in grading.bands.items():
        of_type = graded & units.of_type(unit_type)
        for name, min_index in reversed(bands):  # the best band reached wins
            # index ≥ p/q % ⇔ total × 100 × q ≥ p × maximum
            p, q = Fraction(min_index).as_integer_ratio()
            grade[of_type & (total * 100 * q >= maximum * p)] = grades.index(name)
    by_type = pc.take(
        pa.array(list(peer_groups.values())),
        pc.index_in(units.unit_type, pa.array(list(peer_groups))),
    )
    peer_group = by_type
    if "peer_group" in units.table.column_names:
        peer_group = pc.coalesce(units.table.column("peer_group"), by_type)
    # NOTE: a float64 index orders exactly here: maxima are at most 10,000 hundredths, so
    # two different fractions differ by far more than a rounding step.
    key = total / np.where(graded, maximum, 1)
    rank = np.zeros(size, np.int64)
    for group in pc.unique(peer_group).to_pylist():
        members = np.flatnonzero(graded & pc.equal(peer_group, group).to_numpy())
        _, position, count = np.unique(key[members], return_inverse=True, return_counts=True)
        if ties == "dense":
            rank[members] = len(count) - position
        else:
            higher = np.cumsum(count[::-1])[::-1] - count  # units with a higher index
            rank[members] = higher[position] + 1
    return Totals(areas, total, maximum, grade, peer_group, rank)


def results(
    units: Units, c: dict[str, Scored], totals: Totals, grading: Grading, everything: bool
) -> pa.Table:
    """The engine's results table: the summary columns, or ``everything`` it writes."""
    total, maximum = totals.total, totals.maximum
    graded = maximum > 0
    index = total * 10_000 // np.where(graded, maximum, 1)  # hundredths of a percent, truncated

    def decimals(hundredths: Ints, valid: Bools | None = None) -> pa.Array:
        return pa.array(hundredths, mask=None if valid is None else ~valid).view(POINTS)

    grade_codes = pa.array(totals.grade, mask=totals.grade < 0)
    columns: dict[str, Any] = {
        "unit_id": units.table.column("unit_id"),
        "name": units.table.column("name"),
        "unit_type": units.unit_type,
        "peer_group": totals.peer_group,
        "total": decimals(total),
        "applicable_max": decimals(maximum),
        "index": decimals(index, graded),
        "grade": pc.take(pa.array(list(grading.names)), grade_codes),
        "grade_name": pc.take(pa.array(list(grading.names.values())), grade_codes),
        "rank": pa.array(totals.rank, mask=~graded),
        "status": pc.if_else(pa.array(graded), "scored", "nothing_applicable"),
    }
    if everything:
        for area, (earned, possible) in totals.areas.items():
            columns[f"area:{area}"] = decimals(earned)
            applies = possible > 0
            component = earned * 10_000 // np.where(applies, possible, 1)
            columns[f"area:{area}:index"] = decimals(component, applies)
        for criterion, scored in c.items():
            columns[criterion] = decimals(scored.points, scored.applicable)
            columns[f"{criterion}:reason"] = pa.DictionaryArray.from_arrays(
                scored.reason, KIND_REASONS[scored.kind] + ENGINE_REASONS
            )
    return pa.table(columns)


def main(
    doc: str,
    facts: list[str],
    criteria: Callable[[Units], dict[str, Scored]],
    grading: Grading,
    peer_groups: dict[str, str],
    ties: str,
) -> None:
    """Read, score, aggregate, write; print the phase timings as one JSON line."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("units")
    parser.add_argument("output")
    parser.add_argument("--columns", choices=["summary", "all"], default="summary")
    args = parser.parse_args()
    clock = time.perf_counter()
    phases: dict[str, float] = {}
    units = Units(args.units, facts)
    phases["load"], clock = time.perf_counter() - clock, time.perf_counter()
    scored = criteria(units)
    phases["score"], clock = time.perf_counter() - clock, time.perf_counter()
    totals = aggregate(units, scored, grading, peer_groups, ties)
    phases["aggregate"], clock = time.perf_counter() - clock, time.perf_counter()
    table = results(units, scored, totals, grading, args.columns == "all")
    # NOTE: the engine's writer options, so both programs write the same file (decimals
    # as Parquet INT64, statistics for the summary columns only): not where the
    # comparison should be won or lost. Parquet's default for decimals is twice as slow.
    pq.write_table(table, args.output, store_decimal_as_integer=True, write_statistics=SUMMARY)
    phases["write"] = time.perf_counter() - clock
    print(json.dumps(phases))
