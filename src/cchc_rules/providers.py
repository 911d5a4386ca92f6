"""The fact-provider API: facts *derived* from the records an agency already keeps.

A criterion kind scores facts; a **fact provider** computes facts from **record sets**
(a staff roster, a job-position scheme, a document log …) before any scoring, so
every kind (``ratio_bands``, ``proportional`` …) and the engine work on derived facts
exactly as on typed-in ones. A ruleset binds a provider once::

    [record_sets.roster]
    description = { vi = "Danh sách công chức", en = "Staff roster" }

    [providers.rotation]
    provider = "rotation_compliance"
    records = { roster = "roster", deferrals = "deferrals" }   # the provider's roles → record sets
    params = { exemption_months = 18 }

    [facts.staff_due_rotation]
    type = "integer"
    derived = { provider = "rotation", output = "due" }
    description = { vi = "…", en = "…" }

A provider defines:

* ``name`` — the identifier rulesets use (``provider = "rotation_compliance"``);
* ``Params`` — a pydantic model of its parameters (subclass :class:`ProviderParams`);
* ``record_sets`` — the **roles** it reads, each a :class:`RecordSchema` (typed columns,
  the unit column, a unique key, dates that must be in order). Files bound to a role
  are validated against it before the provider sees them, with located errors;
* ``outputs()`` — the facts it derives, each an :class:`Output` (type, description);
* ``derive(records, units)`` — the facts of every unit, **columnar** (polars lazy
  group-bys and joins, never a Python loop over rows);
* ``evidence(records, unit_id, limit)`` — the people or documents that cost a unit its
  points, bilingual, computed only for the unit someone asks about;
* optionally ``record_checks()`` — row checks that depend on the parameters (a
  deferral reason the ruleset does not know), reported like schema problems, and
  ``check()`` — consistency of the parameters.

Records reach a provider as :class:`polars.LazyFrame` objects with the columns of its
schema, typed (``integer`` → Int64, ``decimal`` → Decimal, ``boolean``, ``date`` →
Date, ``text`` → String), so a 100-million-row document log is scanned and grouped in
bounded memory. See ``docs/plugin_hooks.md`` for the whole guide.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from cchc_rules.kinds import FactType

if TYPE_CHECKING:
    import polars as pl

    # Made on first use by the module's __getattr__ (below), without polars at import.
    POLARS_TYPES: Mapping[str, pl.DataType]

__all__ = [
    "POLARS_TYPES",
    "Column",
    "ColumnType",
    "DeriveContext",
    "Evidence",
    "FactProvider",
    "Output",
    "ProviderParams",
    "RecordCheck",
    "RecordSchema",
]

ColumnType = FactType
"""A record column's type: the five types a fact has (a column may become a fact)."""


def _polars_types() -> Mapping[str, pl.DataType]:
    """``POLARS_TYPES``: the polars type a record column of each type reaches a provider
    as (decimals: ``pl.Decimal(38, decimals)``)."""
    # NOTE: lazy: plugins import this module when they register, and most runs read no
    # record set; polars is imported when a record column's type is first asked for.
    import polars as pl

    return {
        "integer": pl.Int64(),
        "boolean": pl.Boolean(),
        "date": pl.Date(),
        "text": pl.String(),
    }


def __getattr__(name: str) -> Mapping[str, pl.DataType]:
    # PEP 562: ``POLARS_TYPES`` stays a module attribute without importing polars here.
    if name == "POLARS_TYPES":
        return _polars_types()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ProviderParams(BaseModel):
    """Base for provider parameter models: frozen, unknown keys rejected, numbers exact."""

    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True)
class Column:
    """One column of a record set: its type, whether every row needs a value, and what
    it means. ``choices`` restricts a text column to a few values (``"in"``, ``"out"``)."""

    type: ColumnType
    description: str
    required: bool = True
    decimals: int = 0
    choices: tuple[str, ...] | None = None

    @property
    def polars_type(self) -> pl.DataType:
        if self.type == "decimal":
            # NOTE: lazy, as in _polars_types: only a record set being read asks this.
            import polars as pl

            return pl.Decimal(38, self.decimals)
        return _polars_types()[self.type]


@dataclass(frozen=True)
class RecordSchema:
    """The columns a provider reads from one record-set role, and the rules its rows obey.

    ``unit_column`` names the column holding the assessed unit's id (checked against
    the units table), or ``None`` for records not tied to one unit (a deferral of a
    person). ``key`` is a set of columns unique across rows (``("document_id",)``);
    ``ordered`` lists pairs of date columns where the first may not be after the
    second (``("valid_from", "valid_to")``).
    """

    columns: Mapping[str, Column]
    description: Mapping[str, str]
    unit_column: str | None = "unit_id"
    key: tuple[str, ...] = ()
    ordered: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Output:
    """A fact a provider derives: its type and a bilingual description."""

    type: Literal["integer", "boolean", "date", "text"]
    description: Mapping[str, str]


@dataclass(frozen=True)
class Evidence:
    """One line of evidence: a person or a document that cost the unit points.

    ``output`` is the derived fact it concerns (so ``explain`` shows it under the
    criteria reading that fact); ``subject`` the person or document id.
    """

    output: str
    subject: str
    vi: str
    en: str

    def text(self, lang: str) -> str:
        return self.vi if lang == "vi" else self.en


@dataclass(frozen=True)
class RecordCheck:
    """Rows a provider refuses, beyond its schema: ``bad`` is a polars boolean expression
    over the role's columns, true on refused rows; ``message`` says what was expected."""

    role: str
    column: str
    bad: pl.Expr
    message: str


@dataclass(frozen=True)
class DeriveContext:
    """What a provider knows about the evaluation: the period it assesses.

    ``period_start`` and ``period_end`` are the first and last day of the ruleset's
    first evaluation period (1 January and 31 December of that year), both included.
    """

    period_start: dt.date
    period_end: dt.date

    @classmethod
    def for_year(cls, year: int) -> DeriveContext:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))


P = TypeVar("P", bound=BaseModel)


class FactProvider(Generic[P]):
    """Base class of every fact provider.

    Subclasses set ``name``, ``Params``, ``record_sets`` and implement ``outputs``,
    ``derive`` and ``evidence``. Instances are bound to one ``[providers.NAME]`` table
    of a ruleset: ``self.params`` (validated ``Params``) and ``self.context``.
    """

    name: ClassVar[str]
    Params: ClassVar[type[BaseModel]]
    record_sets: ClassVar[Mapping[str, RecordSchema]]
    summary: ClassVar[Mapping[str, str]] = {}
    """One-line bilingual summary ``{"vi": …, "en": …}`` for the reference docs."""

    def __init__(self, params: P, context: DeriveContext) -> None:
        self.params = params
        self.context = context

    def outputs(self) -> Mapping[str, Output]:
        """The facts this provider derives, by output name."""
        raise NotImplementedError

    def check(self) -> list[tuple[str, str]]:
        """Problems of the parameters: ``(param path, message)``, like a kind's ``check``."""
        return []

    def record_checks(self) -> list[RecordCheck]:
        """Row checks that depend on the parameters; reported like schema problems."""
        return []

    def derive(
        self, records: Mapping[str, pl.LazyFrame], units: pl.LazyFrame
    ) -> pl.LazyFrame | pl.DataFrame:
        """Every output for every unit: one row per row of ``units`` (column ``unit_id``),
        with ``unit_id`` and one column per output. Records are validated already."""
        raise NotImplementedError

    def evidence(
        self, records: Mapping[str, pl.LazyFrame], unit_id: str, limit: int
    ) -> list[Evidence]:
        """Up to ``limit`` lines per output naming what cost ``unit_id`` points."""
        return []
