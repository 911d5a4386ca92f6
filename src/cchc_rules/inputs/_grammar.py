"""The column grammar of units and record sets: what a cell of each type may hold, which
stored column types a typed source may bring, and how a problem with either is worded.

Units are read with pyarrow (the engine's batches are Arrow and numpy) and record sets
with polars (lazy, streaming checks over hundreds of millions of rows); each reader
translates these rules to its engine and states none of its own. Where the two differ,
the difference is declared here, with the reason. Imports only the plugin API's types.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from cchc_rules._diagnostics import clipped, shown
from cchc_rules.providers import ColumnType

__all__ = [
    "BOOLEAN_WORDS",
    "DATE_FORMAT",
    "DATE_PATTERN",
    "MAX_DIGITS",
    "NO_YEAR",
    "TEXT_FORM",
    "Of",
    "StoredType",
    "accepts",
    "expected_cell",
    "expected_column",
    "expected_fit",
    "expected_value",
    "got",
    "more_rows",
    "number_pattern",
]

# -- text cells --------------------------------------------------------------------------
#
# A text cell (CSV, XLSX, JSON, or a text column of a typed source) is read without its
# surrounding whitespace, and a cell with nothing else holds no value (docs/decisions/0004).
#
# NOTE: a units text fact keeps its cell as typed (explanations quote it so), while a
# record set's text column reaches providers trimmed: they join and compare ids, where
# " D1" must be "D1". Both readers decide emptiness on the trimmed cell.

TEXT_FORM: Literal["NFC"] = "NFC"
"""The Unicode form every text cell is read in (docs/decisions/0022): one spelling for
text that looks the same. "Thanh tra" typed with a composed "ạ" (NFC, as most keyboards
and Excel write it) or with "a" and a combining dot (NFD, as macOS file names and some
exports do) is one unit id, unit type, peer group, record key or text fact, not two."""

BOOLEAN_WORDS: Mapping[str, bool] = {
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "yes": True,
    "no": False,
    "có": True,
    "không": False,
}
"""The spellings a text cell may use for a boolean, in any case; nothing else is guessed."""

DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DATE_FORMAT = "%Y-%m-%d"
NO_YEAR = "0000"
"""A date is ``YYYY-MM-DD`` of a day that exists, in a year from 0001: Python dates (a
fact's ``value()``, a provider's collected rows) start at year 1. A parser that rolls
impossible days over (2021-02-29 into March) must be checked by printing the date back."""

MAX_DIGITS = 18
"""The digits a number may have, counting every digit it declares after the point: an
int64 holds any 18-digit number, so a value always fits its column at its scale (units
store a decimal as an int64 count of ``1/10**decimals``)."""


def number_pattern(decimals: int) -> str:
    """A number as text: an optional sign, digits, and with ``decimals`` an optional point
    and 1 to ``decimals`` digits (no exponent, no grouping, no bare point); ASCII digits
    only, whatever the regex engine's idea of a digit."""
    whole = f"[+-]?[0-9]{{1,{MAX_DIGITS - decimals}}}"
    if not decimals:
        return f"^{whole}$"
    return rf"^{whole}(\.[0-9]{{1,{decimals}}})?$"


# -- typed sources ------------------------------------------------------------------------

StoredType = Literal["integer", "decimal", "float", "boolean", "date", "text"]
"""A source column's stored type, as each reader names its engine's types."""

_STORED: Mapping[ColumnType, frozenset[StoredType]] = {
    # A decimal with more digits than the column declares is read only when the extra
    # ones are zeros (12.500 for two digits), never rounded.
    "integer": frozenset({"integer", "decimal"}),
    "decimal": frozenset({"integer", "decimal"}),
    "boolean": frozenset({"boolean"}),
    "date": frozenset({"date"}),
    "text": frozenset(),
}


def accepts(column: ColumnType, stored: StoredType | None, *, floats: bool) -> bool:
    """Whether a source column stored as ``stored`` can be read as a ``column``.

    Text is parsed by the cell grammar whatever the column's type.

    NOTE: units take ``floats`` (a pandas frame turns an integer column with gaps into
    floats, and units tables are often made in pandas): each value is accepted only
    when it is exactly the decimal a person typed. Record sets refuse float columns
    (tests/inputs/test_records.py pins it): registries export them typed, and a float column
    there is a wrong export, not a spreadsheet habit.
    """
    if stored == "text":
        return True
    if stored == "float":
        return floats and column in ("integer", "decimal")
    return stored is not None and stored in _STORED[column]


# -- wording ------------------------------------------------------------------------------

Of = Literal["fact", "column"]
"""What a value belongs to in messages: a unit's fact, or a record set's column."""


def expected_cell(column: ColumnType, decimals: int = 0) -> str:
    """What a cell its type cannot read should have held (any text is text)."""
    if column == "boolean":
        return f"expected a boolean ({', '.join(BOOLEAN_WORDS)})"
    if column == "date":
        return "expected a date as YYYY-MM-DD"
    if not decimals:
        return "expected a whole number"
    return f"expected a number with at most {decimals} digits after the point"


def expected_value(of: Of) -> str:
    """An empty cell where a value is required.

    NOTE: units name the fact and record sets the column (tests pin both): a record
    column is not a fact of the ruleset.
    """
    return f"expected a value (the {of} is required)"


def expected_column(column: ColumnType, got_type: str) -> str:
    """A source column whose stored type cannot hold the column's values."""
    values = "text" if column == "text" else f"{column} values"
    return f"expected a column of {values} (got {got_type})"


def expected_fit(column: ColumnType) -> str:
    """A typed cell too large for the column's type."""
    article = "an" if column == "integer" else "a"
    return f"expected a value that fits {article} {column} column"


def got(value: object) -> str:
    """The ``(got …)`` of a located problem.

    Text keeps its quotes (so ``'2.5'`` reads as what was typed); a number is shown
    plainly, never as ``Decimal('1001')`` or ``np.float64(2.5)``.

    NOTE: a units reader shows a typed (Parquet) number as a number, ``(got 0.075)``;
    a record-set reader shows every cell as text, ``(got '0.500')``, since polars
    locates rows of any type by casting them to text. Tests pin both. Either is cut
    to :data:`~cchc_rules._diagnostics.SHOWN_LIMIT` characters.
    """
    # NOTE: through the one value-echoing rule (clipped), so a megabyte cell is not repeated.
    return f" (got {shown(value)})" if isinstance(value, str) else f" (got {clipped(str(value))})"


def more_rows(message: str, count: int) -> str:
    """The last problem of a check failing on more rows than are listed."""
    return f"{message}: {count} more rows like this"
