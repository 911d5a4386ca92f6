"""Thirty computed facts over a million units: the expression language against numpy.

    .venv/bin/python benchmarks/expr_bench.py              # 1,000,000 units, best of 5
    .venv/bin/python benchmarks/expr_bench.py --rows 100000 --repeat 3

Both sides compute the same thirty facts with the same meaning — exact fixed-point
integers, missing values propagated, a division by zero missing, rounding half-up — and
the run checks that they agree before it reports. The numpy side is what an engineer
would write by hand for each fact, knowing the value ranges; the expression side also
proves, per operation, that no int64 can wrap (bounds from the columns' minimum and
maximum). Reported: the best time of each side, their ratio, and the difference per
expression (the "small constant" of issue 6).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cchc_rules.expressions import (
    UNIT_TYPE,
    Expression,
    ExprType,
    compile_expression,
    evaluate_all,
    unit_type_column,
)
from cchc_rules.kinds import EPOCH, FactColumn

Arr = npt.NDArray[Any]
Pair = tuple[Arr, Arr]
"""values, missing — what a hand-written numpy line produces."""

INTEGER, DATE, BOOL = ExprType("integer"), ExprType("date"), ExprType("boolean")
INPUTS: dict[str, ExprType] = {
    "reports_required": INTEGER,
    "reports_on_time": INTEGER,
    "gov_tasks_due": INTEGER,
    "gov_tasks_on_time": INTEGER,
    "gov_tasks_rescheduled": INTEGER,
    "conclusions_due": INTEGER,
    "conclusions_on_time": INTEGER,
    "docs_planned": INTEGER,
    "docs_issued": INTEGER,
    "staff_total": INTEGER,
    "staff_evaluated": INTEGER,
    "staff_signing": INTEGER,
    "rotation_due": INTEGER,
    "rotation_done": INTEGER,
    "complaints_received": INTEGER,
    "budget_planned": ExprType("decimal", 2),
    "budget_spent": ExprType("decimal", 2),
    "survey_a": ExprType("decimal", 1),
    "survey_b": ExprType("decimal", 1),
    "plan_issued": DATE,
    "plan_deadline": DATE,
    "handles_complaints": BOOL,
    "software_updated": BOOL,
}

# name → (expression, declared type); later facts may read earlier ones.
COMPUTED: dict[str, tuple[str, ExprType]] = {
    "reports_late": ("reports_required - reports_on_time", INTEGER),
    "tasks_ok": ("gov_tasks_on_time + gov_tasks_rescheduled", INTEGER),
    "conclusions_late": ("conclusions_due - conclusions_on_time", INTEGER),
    "docs_pending": ("docs_planned - docs_issued", INTEGER),
    "staff_unevaluated": ("staff_total - staff_evaluated", INTEGER),
    "rotation_missed": ("rotation_due - rotation_done", INTEGER),
    "plan_days_late": ("plan_issued - plan_deadline", INTEGER),
    "tasks_ok_pct": ("round(tasks_ok / gov_tasks_due * 100, 2)", ExprType("decimal", 2)),
    "reports_pct": ("round(reports_on_time / reports_required * 100, 2)", ExprType("decimal", 2)),
    "signing_share": ("round(staff_signing / staff_total, 4)", ExprType("decimal", 4)),
    "applies_inspection": ("unit_type == 'thanh_tra' and conclusions_due > 0", BOOL),
    "complaints_applicable": ("handles_complaints and complaints_received >= 1", BOOL),
    "plan_on_time": ("plan_issued <= plan_deadline", BOOL),
    "budget_gap": ("abs(budget_planned - budget_spent)", ExprType("decimal", 2)),
    "budget_used_enough": ("budget_spent / budget_planned >= 0.9", BOOL),
    "survey_avg": ("round((survey_a + survey_b) / 2, 2)", ExprType("decimal", 2)),
    "late_steps": ("0 if plan_days_late <= 0 else (1 if plan_days_late <= 5 else 2)", INTEGER),
    "max_late": ("max(reports_late, conclusions_late, 0)", INTEGER),
    "min_done": ("min(reports_on_time, gov_tasks_on_time)", INTEGER),
    "reports_all": ("reports_late == 0", BOOL),
    "reports_known": ("reports_on_time is not missing", BOOL),
    "docs_done": ("docs_pending <= 0 or docs_planned == 0", BOOL),
    "staff_ok": ("staff_evaluated * 100 >= staff_total * 95", BOOL),
    "rotation_ok": ("rotation_missed == 0 and rotation_due > 0", BOOL),
    "software_points": ("2 if software_updated else 0", INTEGER),
    "survey_weighted": ("survey_a * 0.6 + survey_b * 0.4", ExprType("decimal", 2)),
    "is_central": ("unit_type in ['thanh_tra', 'vu']", BOOL),
    "tasks_due_any": ("gov_tasks_due > 0", BOOL),
    "budget_over": ("budget_spent > budget_planned", BOOL),
    "docs_rate": (
        "round(docs_issued / docs_planned * 100, 1) if docs_planned != 0 else 100",
        ExprType("decimal", 1),
    ),
}


def make_columns(rows: int, seed: int = 6) -> dict[str, FactColumn]:
    """Realistic facts: small counts, a few percent missing, dates around a deadline."""
    rng = np.random.default_rng(seed)
    columns: dict[str, FactColumn] = {}
    for name, type_ in INPUTS.items():
        missing = rng.random(rows) < 0.03
        if type_ == BOOL:
            values: Arr = rng.random(rows) < 0.7
        elif type_ == DATE:
            base = (dt.date(2019, 1, 15) - EPOCH).days
            values = base + rng.integers(-20, 30, rows)
        elif type_.kind == "decimal":
            values = rng.integers(0, 10_000 * type_.scale, rows)
        else:
            values = rng.integers(0, 200, rows)
        values[missing] = 0
        columns[name] = FactColumn(type_.kind, values, missing, type_.scale)  # type: ignore[arg-type]
    kinds = np.array(["thanh_tra", "vu", "cuc", "don_vi_su_nghiep"], dtype=object)
    columns[UNIT_TYPE] = unit_type_column(kinds[rng.integers(0, 4, rows)])
    return columns


def compile_all() -> dict[str, Expression]:
    names: dict[str, ExprType] = {**INPUTS, UNIT_TYPE: ExprType("text")}
    compiled = {}
    for name, (source, type_) in COMPUTED.items():
        compiled[name] = compile_expression(source, names, expected=type_)
        names[name] = type_
    return compiled


def run_expressions(
    compiled: dict[str, Expression], columns: dict[str, FactColumn], rows: int
) -> dict[str, FactColumn]:
    return evaluate_all(compiled, columns, rows)


# -- the same thirty facts, by hand ---------------------------------------------------------


def _half_up(num: Arr, den: Arr) -> Arr:
    # den > 0; ties away from zero, like round() in the language.
    q = (2 * np.abs(num) + den) // (2 * den)
    result: Arr = np.where(num < 0, -q, q)
    return result


def _pct(num: FactColumn, den: FactColumn, times: int) -> Pair:
    zero = den.values == 0
    safe = np.where(zero, 1, den.values)
    return _half_up(num.values * times, safe), num.missing | den.missing | zero


def run_numpy(c: dict[str, FactColumn]) -> dict[str, Pair]:
    def v(name: str) -> Arr:
        return out[name][0] if name in out else c[name].values

    def m(name: str) -> Arr:
        return out[name][1] if name in out else c[name].missing

    out: dict[str, Pair] = {}
    out["reports_late"] = (
        v("reports_required") - v("reports_on_time"),
        m("reports_required") | m("reports_on_time"),
    )
    out["tasks_ok"] = (
        v("gov_tasks_on_time") + v("gov_tasks_rescheduled"),
        m("gov_tasks_on_time") | m("gov_tasks_rescheduled"),
    )
    out["conclusions_late"] = (
        v("conclusions_due") - v("conclusions_on_time"),
        m("conclusions_due") | m("conclusions_on_time"),
    )
    out["docs_pending"] = (
        v("docs_planned") - v("docs_issued"),
        m("docs_planned") | m("docs_issued"),
    )
    out["staff_unevaluated"] = (
        v("staff_total") - v("staff_evaluated"),
        m("staff_total") | m("staff_evaluated"),
    )
    out["rotation_missed"] = (
        v("rotation_due") - v("rotation_done"),
        m("rotation_due") | m("rotation_done"),
    )
    out["plan_days_late"] = (
        v("plan_issued") - v("plan_deadline"),
        m("plan_issued") | m("plan_deadline"),
    )
    tasks_ok = FactColumn("integer", *out["tasks_ok"])
    out["tasks_ok_pct"] = _pct(tasks_ok, c["gov_tasks_due"], 100 * 100)
    out["reports_pct"] = _pct(c["reports_on_time"], c["reports_required"], 100 * 100)
    out["signing_share"] = _pct(c["staff_signing"], c["staff_total"], 10_000)
    # Kleene 'and': a known false side decides, else missing if either side is.
    is_tt = v(UNIT_TYPE) == "thanh_tra"
    due = v("conclusions_due") > 0
    false = ~is_tt | (~m("conclusions_due") & ~due)
    out["applies_inspection"] = (~false, ~false & m("conclusions_due"))
    handles, received = v("handles_complaints"), v("complaints_received") >= 1
    false = (~m("handles_complaints") & ~handles) | (~m("complaints_received") & ~received)
    out["complaints_applicable"] = (
        ~false,
        ~false & (m("handles_complaints") | m("complaints_received")),
    )
    out["plan_on_time"] = (
        v("plan_issued") <= v("plan_deadline"),
        m("plan_issued") | m("plan_deadline"),
    )
    budget_m = m("budget_planned") | m("budget_spent")
    out["budget_gap"] = (np.abs(v("budget_planned") - v("budget_spent")), budget_m)
    zero = v("budget_planned") == 0
    out["budget_used_enough"] = (v("budget_spent") * 10 >= v("budget_planned") * 9, budget_m | zero)
    out["survey_avg"] = (
        _half_up((v("survey_a") + v("survey_b")) * 10, np.full(len(zero), 2)),
        m("survey_a") | m("survey_b"),
    )
    late = v("plan_days_late")
    out["late_steps"] = (np.where(late <= 0, 0, np.where(late <= 5, 1, 2)), m("plan_days_late"))
    out["max_late"] = (
        np.maximum(np.maximum(v("reports_late"), v("conclusions_late")), 0),
        m("reports_late") | m("conclusions_late"),
    )
    out["min_done"] = (
        np.minimum(v("reports_on_time"), v("gov_tasks_on_time")),
        m("reports_on_time") | m("gov_tasks_on_time"),
    )
    out["reports_all"] = (v("reports_late") == 0, m("reports_late"))
    out["reports_known"] = (~m("reports_on_time"), np.zeros(len(zero), dtype=bool))
    pending, planned = v("docs_pending") <= 0, v("docs_planned") == 0
    true = (~m("docs_pending") & pending) | (~m("docs_planned") & planned)
    out["docs_done"] = (true, ~true & (m("docs_pending") | m("docs_planned")))
    out["staff_ok"] = (
        v("staff_evaluated") * 100 >= v("staff_total") * 95,
        m("staff_evaluated") | m("staff_total"),
    )
    missed, due_any = v("rotation_missed") == 0, v("rotation_due") > 0
    false = (~m("rotation_missed") & ~missed) | (~m("rotation_due") & ~due_any)
    out["rotation_ok"] = (~false, ~false & (m("rotation_missed") | m("rotation_due")))
    out["software_points"] = (np.where(v("software_updated"), 2, 0), m("software_updated"))
    out["survey_weighted"] = (v("survey_a") * 6 + v("survey_b") * 4, m("survey_a") | m("survey_b"))
    out["is_central"] = (np.isin(v(UNIT_TYPE), ["thanh_tra", "vu"]), m(UNIT_TYPE))
    out["tasks_due_any"] = (v("gov_tasks_due") > 0, m("gov_tasks_due"))
    out["budget_over"] = (v("budget_spent") > v("budget_planned"), budget_m)
    planned_any = v("docs_planned") != 0
    rate, rate_m = _pct(c["docs_issued"], c["docs_planned"], 100 * 10)
    out["docs_rate"] = (
        np.where(planned_any, rate, 1000),
        m("docs_planned") | (planned_any & rate_m),
    )
    return out


# -- timing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    rows: int
    expressions: int
    expr_seconds: float
    numpy_seconds: float
    compile_seconds: float

    @property
    def ratio(self) -> float:
        return self.expr_seconds / self.numpy_seconds

    @property
    def overhead_ms_per_expression(self) -> float:
        return (self.expr_seconds - self.numpy_seconds) / self.expressions * 1000

    def __str__(self) -> str:
        return (
            f"{self.expressions} computed facts × {self.rows:,} units: "
            f"expressions {self.expr_seconds * 1000:.1f} ms, hand-written numpy "
            f"{self.numpy_seconds * 1000:.1f} ms, ratio {self.ratio:.2f} "
            f"({self.overhead_ms_per_expression:+.2f} ms per expression); "
            f"compiling all once {self.compile_seconds * 1000:.1f} ms"
        )


def _best_of_interleaved(
    repeat: int, first: Callable[[], object], second: Callable[[], object]
) -> tuple[float, float]:
    # Alternating the two sides spreads a busy machine's noise over both alike.
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for index, job in enumerate((first, second)):
            start = time.perf_counter()
            job()
            best[index] = min(best[index], time.perf_counter() - start)
    return best[0], best[1]


def _check_agree(got: dict[str, FactColumn], want: dict[str, Pair]) -> None:
    for name, column in got.items():
        values, missing = want[name]
        if not np.array_equal(column.missing, missing):
            raise AssertionError(f"{name}: missing masks differ")
        present = ~missing
        if not np.array_equal(column.values[present], np.asarray(values)[present]):
            raise AssertionError(f"{name}: values differ")


def run(rows: int = 1_000_000, repeat: int = 5) -> Report:
    columns = make_columns(rows)
    start = time.perf_counter()
    compiled = compile_all()
    compile_seconds = time.perf_counter() - start
    _check_agree(run_expressions(compiled, columns, rows), run_numpy(columns))
    expr_seconds, numpy_seconds = _best_of_interleaved(
        repeat, lambda: run_expressions(compiled, columns, rows), lambda: run_numpy(columns)
    )
    return Report(rows, len(compiled), expr_seconds, numpy_seconds, compile_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(run(args.rows, args.repeat))


if __name__ == "__main__":
    main()
