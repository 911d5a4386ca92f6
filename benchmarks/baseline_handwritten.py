"""The handwritten baseline: ttcp@2018 scored by a one-off numpy program, no cchc_rules.

    python benchmarks/baseline_handwritten.py UNITS.parquet RESULTS.parquet [--columns all]

The program a competent engineer writes when handed ``rulesets/ttcp/2018.toml`` and a
Parquet file of units, told to produce the engine's results file, and not told how the
engine works: the 39 criteria typed in from the TOML, pyarrow reading only the columns
they need, numpy scoring each criterion over whole columns in exact integers
(hundredths of a point; bands, targets and grades compared by integer
cross-multiplication), then totals, index, grade and rank within the peer group, and
one ``pq.write_table``.

``--columns summary`` (the default) writes the unit and result columns;
``--columns all`` adds what the engine writes after them: area subtotals and
component indexes, each criterion's points and its reason code (the engine's
vocabulary, dictionary-encoded), so both programs write the same file.

It trusts its input: the engine refuses a bad cell with its row; this program never
looks. Prints one JSON line of phase timings (seconds) on stdout.
"""

from __future__ import annotations

import argparse
import json
import time
from types import SimpleNamespace
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Codes = npt.NDArray[np.int16]

SUMMARY = [
    "unit_id", "name", "unit_type", "peer_group", "total", "applicable_max", "index", "grade",
    "grade_name", "rank", "status",
]
POINTS = pa.decimal64(18, 2)  # the engine's type for points and indexes
GRADES = ["xuat_sac", "tot", "kha", "trung_binh"]
GRADE_NAMES = ["Xuất sắc", "Tốt", "Khá", "Trung bình"]
MIN_INDEX = {"hanh_chinh": [90, 80, 70, 0], "su_nghiep": [85, 75, 65, 0]}
PEER_GROUPS = ["hanh_chinh", "su_nghiep"]  # each unit type is its own peer group

# Reason codes as the engine names them: the kind's own, then the engine's.
KIND_REASONS = {
    "flag": ["met", "not_met"],
    "ratio_bands": [
        "top_band", "band", "below_bands", "zero_denominator_na", "zero_denominator_full",
    ],
    "proportional": ["at_target", "partial", "zero_denominator_na", "zero_denominator_full"],
    "deadline_steps": ["on_time", "late_step", "too_late", "not_done"],
    "deduction": ["none", "deducted", "floored"],
    "survey_scaled": ["full", "scaled"],
    "appraised": ["full", "adjusted"],
}
ENGINE_REASONS = [
    "not_applicable_unit_type", "not_applicable_condition", "missing_zero",
    "missing_not_applicable", "full_points_condition",
]

# Every fact a criterion scores (the engine also checks the appraisal note; not here).
FACTS = [
    "plan_issued", "plan_days_late", "plan_complete", "plan_targets", "plan_targets_done",
    "reports_due", "reports_on_time", "reports_complete", "leader_tasks_assigned",
    "leader_tasks_done_on_time", "self_inspection_done", "par_quiz_score", "innovation_points",
    "legal_drafts_assigned", "legal_drafts_done", "legal_review_done", "law_monitoring_done",
    "grassroots_democracy_ok", "proc_review_done", "procedures_published", "complaints_received",
    "complaints_resolved_on_time", "citizen_reception_ok", "functions_regulation_current",
    "org_structure_compliant", "staff_reduction_target", "staff_reduction_done", "reorg_plan_done",
    "staff_total", "staff_in_approved_positions", "headcount_over_quota", "staff_eval_done",
    "staff_eval_days_late", "staff_evaluated", "rotation_plan_issued", "staff_due_rotation",
    "staff_rotated", "training_places_planned", "staff_trained", "staff_disciplined",
    "budget_allocated", "budget_disbursed", "internal_spending_rules_ok", "public_assets_ok",
    "thrift_plan_done", "it_use", "iso_9001_applied", "inspections_planned", "inspections_done",
    "work_items_assigned", "work_items_done", "report_reminders", "internal_violation",
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


def ratio_bands(
    max_units: int, done: Ints, due: Ints, bands: dict[int, int], *, zero: str
) -> Scored:
    """``bands``: min percent → points, from the top; the first one reached pays.
    ``zero``: what a zero denominator gives, ``"na"`` (not applicable) or ``"full"``."""
    band = np.full(len(done), len(bands))
    for position, percent in reversed(list(enumerate(bands))):
        band[done * 100 >= due * percent] = position
    points = np.array([*bands.values(), 0])[band]
    reason = codes((band == 0, 0), (band < len(bands), 1), otherwise=2)
    nothing_due = due == 0
    applicable = everyone(due)
    if zero == "full":
        points[nothing_due], reason[nothing_due] = max_units, 4
    else:
        points[nothing_due], reason[nothing_due], applicable = 0, 3, ~nothing_due
    return Scored("ratio_bands", max_units, points, reason, applicable)


def proportional(
    max_units: int, done: Ints, due: Ints, *, zero: str, target_percent: int = 100
) -> Scored:
    """``max_units × min(ratio ÷ target, 1)``, rounded half-up in integers."""
    nothing_due = due == 0
    target = np.where(nothing_due, 1, due) * target_percent
    reached = np.minimum(done * 100, target)
    points = (2 * reached * max_units + target) // (2 * target)
    reason = (points != max_units).astype(np.int16)  # at_target, partial
    applicable = everyone(due)
    if zero == "full":
        points[nothing_due], reason[nothing_due] = max_units, 3
    else:
        points[nothing_due], reason[nothing_due], applicable = 0, 2, ~nothing_due
    return Scored("proportional", max_units, points, reason, applicable)


def deadline_steps(max_units: int, days_late: Ints, done: Bools, steps: dict[int, int]) -> Scored:
    """``steps``: max days late → points, in order; not done: 0 whatever the delay."""
    points = np.zeros(len(days_late), np.int64)
    for limit, step_points in reversed(steps.items()):
        points[days_late <= limit] = step_points
    on_time = days_late <= 0
    points[on_time] = max_units
    points[~done] = 0
    reason = codes((~done, 3), (on_time, 0), (days_late <= max(steps), 1), otherwise=2)
    return Scored("deadline_steps", max_units, points, reason, everyone(done))


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
    ``when_missing = "not_applicable"``), then what the kind said."""
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


# -- the program -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("units")
    parser.add_argument("output")
    parser.add_argument("--columns", choices=["summary", "all"], default="summary")
    args = parser.parse_args()
    clock = time.perf_counter()
    phases: dict[str, float] = {}

    wanted = ["unit_id", "name", "unit_type", *FACTS]
    if "peer_group" in pq.read_schema(args.units).names:
        wanted.append("peer_group")
    table = pq.read_table(args.units, columns=wanted)

    def fact(name: str) -> Any:
        """Booleans and integers as numpy (nulls as false / 0), decimals as their digits."""
        column = table.column(name)
        if pa.types.is_decimal(column.type):
            # 12.5 with one decimal is stored as the integer 125: read those integers.
            column = column.cast(pa.decimal64(18, column.type.scale))
            return np.concatenate(
                [
                    np.frombuffer(c.buffers()[1], np.int64)[c.offset : c.offset + len(c)]
                    for c in column.chunks
                ]
            )
        if column.null_count:
            column = column.fill_null(False if pa.types.is_boolean(column.type) else 0)
        return column.to_numpy()

    def missing(*names: str) -> Bools:
        return np.logical_or.reduce([table.column(n).is_null().to_numpy() for n in names])

    def ratio_missing(numerator: str, denominator: str) -> Bools:
        """A missing denominator, or a missing numerator over a denominator above 0: a
        zero denominator decides without its numerator (docs/decisions/0023)."""
        den = table.column(denominator)
        above_zero = pc.fill_null(pc.not_equal(den, 0), True).to_numpy(zero_copy_only=False)
        return missing(denominator) | (above_zero & missing(numerator))

    u = SimpleNamespace(**{name: fact(name) for name in FACTS})
    unit_type = table.column("unit_type")
    hc = pc.equal(unit_type, "hanh_chinh").to_numpy()
    phases["load"], clock = time.perf_counter() - clock, time.perf_counter()

    # The criteria of rulesets/ttcp/2018.toml in its order; points in hundredths.
    c = {
        "A1": deadline_steps(150, u.plan_days_late, u.plan_issued, {15: 100, 30: 50}),
        "A2": flag(150, u.plan_complete),
        "A3": ratio_bands(400, u.plan_targets_done, u.plan_targets, {90: 400, 70: 200}, zero="na"),
        "A4.1": proportional(150, u.reports_on_time, u.reports_due, zero="na"),
        "A4.2": flag(50, u.reports_complete),
        "A5": ratio_bands(
            200, u.leader_tasks_done_on_time, u.leader_tasks_assigned, {100: 200, 80: 100},
            zero="full",
        ),
        "A6": flag(150, u.self_inspection_done),
        "A7": survey_scaled(150, u.par_quiz_score, top=100_0),  # in tenths
        "A8": appraised(200, u.innovation_points),
        "B1": settle(
            ratio_bands(
                400, u.legal_drafts_done, u.legal_drafts_assigned, {100: 400, 80: 250, 60: 100},
                zero="na",
            ),
            only=hc, missing=ratio_missing("legal_drafts_done", "legal_drafts_assigned"),
        ),
        "B2": settle(flag(300, u.legal_review_done), only=hc, missing=missing("legal_review_done")),
        "B3": settle(
            flag(200, u.law_monitoring_done), only=hc, missing=missing("law_monitoring_done")
        ),
        "B4": flag(300, u.grassroots_democracy_ok),
        "C1": settle(flag(300, u.proc_review_done), only=hc, missing=missing("proc_review_done")),
        "C2": settle(
            flag(200, u.procedures_published), only=hc, missing=missing("procedures_published")
        ),
        "C3": settle(
            proportional(500, u.complaints_resolved_on_time, u.complaints_received, zero="na"),
            condition=u.complaints_received > 0,
        ),
        "C4": settle(
            flag(200, u.citizen_reception_ok),
            missing=missing("citizen_reception_ok"), missing_drops=True,
        ),
        "D1": flag(250, u.functions_regulation_current),
        "D2": flag(250, u.org_structure_compliant),
        "D3": proportional(250, u.staff_reduction_done, u.staff_reduction_target, zero="full"),
        "D4": flag(250, u.reorg_plan_done),
        "E1": ratio_bands(
            300, u.staff_in_approved_positions, u.staff_total, {100: 300, 90: 150}, zero="na"
        ),
        "E2": flag(200, ~u.headcount_over_quota),
        "E3.1": deadline_steps(250, u.staff_eval_days_late, u.staff_eval_done, {10: 175, 30: 100}),
        "E3.2": proportional(150, u.staff_evaluated, u.staff_total, zero="na"),
        "E4.1": flag(150, u.rotation_plan_issued),
        "E4.2": ratio_bands(
            250, u.staff_rotated, u.staff_due_rotation, {100: 250, 80: 125}, zero="full"
        ),
        "E5": proportional(
            250, u.staff_trained, u.training_places_planned, zero="full", target_percent=90
        ),
        "E6": deduction(250, u.staff_disciplined, per_event=100),
        "F1": settle(
            ratio_bands(  # both in tenths of a million đồng
                400, u.budget_disbursed, u.budget_allocated, {95: 400, 85: 300, 70: 150},
                zero="na",
            ),
            missing=ratio_missing("budget_disbursed", "budget_allocated"), missing_drops=True,
        ),
        "F2": flag(200, u.internal_spending_rules_ok),
        "F3": flag(200, u.public_assets_ok),
        "F4": flag(200, u.thrift_plan_done),
        "G1": flag(500, u.it_use),
        "G2": settle(flag(300, u.iso_9001_applied), only=hc, missing=missing("iso_9001_applied")),
        "H1": settle(
            ratio_bands(
                400, u.inspections_done, u.inspections_planned, {100: 400, 90: 300, 70: 150},
                zero="na",
            ),
            only=hc, missing=ratio_missing("inspections_done", "inspections_planned"),
        ),
        "H2": proportional(500, u.work_items_done, u.work_items_assigned, zero="na"),
        "H3": deduction(200, u.report_reminders, per_event=50, free=1),
        "H4": flag(300, ~u.internal_violation),
    }
    phases["score"], clock = time.perf_counter() - clock, time.perf_counter()

    size = table.num_rows
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
    index = total * 10_000 // np.where(graded, maximum, 1)  # hundredths of a percent, truncated
    grade = np.full(size, -1, np.int8)
    percent = total * 100  # index ≥ t % ⇔ total × 100 ≥ t × maximum
    for unit_type_name, thresholds in MIN_INDEX.items():
        of_type = graded & pc.equal(unit_type, unit_type_name).to_numpy()
        for position in reversed(range(len(thresholds))):  # the best band reached wins
            grade[of_type & (percent >= maximum * thresholds[position])] = position
    peer_group = unit_type
    if "peer_group" in table.column_names:
        peer_group = pc.coalesce(table.column("peer_group"), unit_type)
    # NOTE: a float64 index orders exactly here: maxima are at most 10,000 hundredths, so
    # two different fractions differ by far more than a rounding step.
    key = total / np.where(graded, maximum, 1)
    rank = np.zeros(size, np.int64)
    for group in PEER_GROUPS:
        members = np.flatnonzero(graded & pc.equal(peer_group, group).to_numpy())
        _, position, count = np.unique(key[members], return_inverse=True, return_counts=True)
        higher = np.cumsum(count[::-1])[::-1] - count  # units with a higher index
        rank[members] = higher[position] + 1  # ties share a rank, the next one skips
    phases["aggregate"], clock = time.perf_counter() - clock, time.perf_counter()

    def decimals(units: Ints, valid: Bools | None = None) -> pa.Array:
        return pa.array(units, mask=None if valid is None else ~valid).view(POINTS)

    grade_codes = pa.array(grade, mask=grade < 0)
    columns: dict[str, Any] = {
        "unit_id": table.column("unit_id"),
        "name": table.column("name"),
        "unit_type": unit_type,
        "peer_group": peer_group,
        "total": decimals(total),
        "applicable_max": decimals(maximum),
        "index": decimals(index, graded),
        "grade": pc.take(pa.array(GRADES), grade_codes),
        "grade_name": pc.take(pa.array(GRADE_NAMES), grade_codes),
        "rank": pa.array(rank, mask=~graded),
        "status": pc.if_else(pa.array(graded), "scored", "nothing_applicable"),
    }
    if args.columns == "all":
        for area, (earned, possible) in areas.items():
            columns[f"area:{area}"] = decimals(earned)
            applies = possible > 0
            component = earned * 10_000 // np.where(applies, possible, 1)
            columns[f"area:{area}:index"] = decimals(component, applies)
        for criterion, scored in c.items():
            columns[criterion] = decimals(scored.points, scored.applicable)
            columns[f"{criterion}:reason"] = pa.DictionaryArray.from_arrays(
                scored.reason, KIND_REASONS[scored.kind] + ENGINE_REASONS
            )
    # NOTE: the engine's writer options, so both programs write the same file (decimals
    # as Parquet INT64, statistics for the summary columns only): not where the
    # comparison should be won or lost. Parquet's default for decimals is twice as slow.
    pq.write_table(
        pa.table(columns),
        args.output,
        store_decimal_as_integer=True,
        write_statistics=SUMMARY,
    )
    phases["write"] = time.perf_counter() - clock
    print(json.dumps(phases))


if __name__ == "__main__":
    main()
