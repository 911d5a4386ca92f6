"""Columns the three providers share, so one roster file serves all of them, and the
small helpers their evidence lines use."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import TYPE_CHECKING

from cchc_rules.providers import Column, RecordSchema

if TYPE_CHECKING:
    # NOTE: polars is imported inside the methods that use it: cchc-rules loads this
    # plugin on every run to register its providers, and a ruleset that reads no record
    # set should not pay for importing polars.
    import polars as pl

PERSON_ID = Column("text", "Person id (mã cán bộ), unique in the roster")
UNIT_ID = Column("text", "Assessed unit's id (unit_id of the units table)")
FULL_NAME = Column("text", "Full name, shown in evidence", required=False)
POSITION_CODE = Column(
    "text", "Job-position code the person holds (empty: none assigned)", required=False
)


def roster_schema(**columns: Column) -> RecordSchema:
    """The staff roster as one provider reads it: the columns all three share, then its
    own ``columns`` (one roster file holds the union)."""
    return RecordSchema(
        columns={"person_id": PERSON_ID, "unit_id": UNIT_ID, "full_name": FULL_NAME, **columns},
        description={"vi": "Danh sách công chức, viên chức", "en": "Staff roster"},
        key=("person_id",),
    )


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole calendar months; the 31st of a shorter month is its last day.

    NOTE: the same convention as polars' ``dt.offset_by("Nmo")``, so the evidence a
    person reads and the columnar derivation agree on every date.
    """
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def who(row: dict[str, object]) -> str:
    """A person as evidence names them: id, and name when the roster gives one."""
    name = row.get("full_name")
    return f"{row['person_id']} ({name})" if name else str(row["person_id"])


def in_unit(frame: pl.LazyFrame, unit_id: str) -> pl.LazyFrame:
    import polars as pl  # NOTE: lazy, see the module's polars import

    return frame.filter(pl.col("unit_id") == unit_id)
