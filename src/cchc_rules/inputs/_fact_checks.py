"""Checks between facts (``[[checks]]``): evaluated over whole columns before scoring.

Each check's condition is a boolean expression over the facts read and derived (and
the computed ones). A unit breaks a check where the condition is known and false;
where it is unknown (a fact it reads is missing) the unit meets it, like a condition
of a criterion does not apply it (``docs/decisions/0028-fact-checks.md``). ``error``
checks refuse the input, unit by unit; ``warning`` checks are returned, to be shown
with the results.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cchc_rules.errors import MAX_ROWS_PER_PROBLEM, FactCheckError, Problem
from cchc_rules.expressions import UNIT_TYPE, ExpressionOverflowError, unit_type_column
from cchc_rules.inputs._overflow import overflow_error
from cchc_rules.inputs._units import UnitTable
from cchc_rules.kinds import Batch, FactValue
from cchc_rules.ruleset._compiled import CompiledCheck, CompiledRuleset
from cchc_rules.ruleset._models import Text

__all__ = ["FactWarning", "check_facts"]

LANGUAGES = ("vi", "en")


@dataclass(frozen=True)
class FactWarning:
    """A unit that breaks a ``warning`` check: where it is and the values the check read."""

    check: str
    message: Text
    source: str
    row: int
    unit_id: str
    values: tuple[tuple[str, FactValue], ...]
    """``(fact, value)`` in the order the check names them (None: missing)."""

    def text(self, lang: str = "vi") -> str:
        """``row 7, unit X: message (a = 20, b = 15)`` in ``lang``."""
        row = "dòng" if lang == "vi" else "row"
        unit = "đơn vị" if lang == "vi" else "unit"
        return f"{row} {self.row}, {unit} {self.unit_id}: {self.said(lang)}"

    def located(self, lang: str = "vi") -> str:
        """``file:7: unit X: message (a = 20, b = 15)``, as a refusal would read."""
        unit = "đơn vị" if lang == "vi" else "unit"
        return f"{self.source}:{self.row}: {unit} {self.unit_id}: {self.said(lang)}"

    def said(self, lang: str = "vi") -> str:
        """The check's message in ``lang`` and the values it read: ``message (a = 20)``."""
        return _worded(self.message, self.values, lang)

    def to_json(self, lang: str = "vi") -> dict[str, Any]:
        """The warning as the JSON output and the HTML report carry it (values exact:
        decimals and dates as strings)."""
        return {
            "check": self.check,
            "row": self.row,
            "unit_id": self.unit_id,
            "message": self.message.get(lang),
            "values": {name: _json_value(value) for name, value in self.values},
        }


def _json_value(value: FactValue) -> bool | int | str | None:
    if value is None or isinstance(value, bool | int | str):
        return value
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _worded(message: Text, values: tuple[tuple[str, FactValue], ...], lang: str) -> str:
    shown = ", ".join(f"{name} = {_shown(value, lang)}" for name, value in values)
    return f"{message.get(lang)} ({shown})" if shown else message.get(lang)


def _shown(value: FactValue, lang: str) -> str:
    if value is None:
        return "(trống)" if lang == "vi" else "(missing)"
    if isinstance(value, bool):
        return ("có" if value else "không") if lang == "vi" else ("yes" if value else "no")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _broken(check: CompiledCheck, batch: Batch, units: UnitTable) -> npt.NDArray[np.intp]:
    """Positions of the units where the check's condition is known and false."""
    columns = {name: batch.columns[name] for name in check.condition.names if name != UNIT_TYPE}
    if UNIT_TYPE in check.condition.names:
        columns[UNIT_TYPE] = unit_type_column(batch.unit_types)
    try:
        result = check.condition.evaluate(columns, batch.size)
    except ExpressionOverflowError as exc:
        raise overflow_error(units, exc, f"check {check.check.id}") from exc
    return np.flatnonzero(~result.missing & ~result.values.astype(bool))


def _values(check: CompiledCheck, batch: Batch, at: int) -> tuple[tuple[str, FactValue], ...]:
    return tuple((name, batch.columns[name].value(at)) for name in check.facts)


def check_facts(
    ruleset: CompiledRuleset, units: UnitTable, batch: Batch
) -> tuple[FactWarning, ...]:
    """The units that break a ``warning`` check, check by check in ruleset order.

    ``batch`` is all of ``units`` with the computed facts added. Raises
    :class:`FactCheckError` when a unit breaks an ``error`` check: one problem per unit
    and check, the first :data:`MAX_ROWS_PER_PROBLEM` of each check, then a count.
    """
    refused: dict[str, list[Problem]] = {lang: [] for lang in LANGUAGES}
    warnings: list[FactWarning] = []
    for check in ruleset.checks:
        broken = _broken(check, batch, units)
        if check.check.severity == "warning":
            warnings.extend(
                FactWarning(
                    check.check.id,
                    check.check.message,
                    units.source,
                    int(units.rows[at]),
                    units.unit_id(int(at)),
                    _values(check, batch, int(at)),
                )
                for at in broken
            )
            continue
        for lang in LANGUAGES:
            refused[lang].extend(_refusals(check, batch, units, broken, lang))
    if refused["vi"]:
        raise FactCheckError(refused["vi"], refused)
    return tuple(warnings)


def _refusals(
    check: CompiledCheck,
    batch: Batch,
    units: UnitTable,
    broken: npt.NDArray[np.intp],
    lang: str,
) -> list[Problem]:
    """Located problems for the first units that break an ``error`` check, and a count."""
    unit = "đơn vị" if lang == "vi" else "unit"
    found = [
        Problem(
            units.source,
            int(units.rows[at]),
            f"{unit} {units.unit_id(int(at))}",
            f"{_worded(check.check.message, _values(check, batch, int(at)), lang)} "
            f"[{check.check.id}]",
        )
        for at in broken[:MAX_ROWS_PER_PROBLEM]
    ]
    if len(broken) > MAX_ROWS_PER_PROBLEM:
        more = len(broken) - MAX_ROWS_PER_PROBLEM
        found.append(
            Problem(
                units.source,
                int(units.rows[broken[MAX_ROWS_PER_PROBLEM]]),
                f"checks.{check.check.id}",
                f"{check.check.message.get(lang)}: "
                + (f"thêm {more} dòng như vậy" if lang == "vi" else f"{more} more rows like this"),
            )
        )
    return found
