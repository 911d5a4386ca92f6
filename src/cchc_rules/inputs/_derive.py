"""Deriving facts from record sets, before scoring.

:func:`derive_facts` reads every record set a ruleset's providers need, checks it
against their schemas (located errors), runs each provider's columnar ``derive`` and
adds one column per derived fact to the units table. The result goes to
``read_units`` like any units table, so the engine and every criterion kind see
derived facts exactly as typed-in ones. :class:`Derivation` keeps the checked record
sets (lazily: nothing is held in memory) to name the evidence behind one unit's
facts when someone asks (``explain``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from cchc_rules._diagnostics import did_you_mean
from cchc_rules.errors import InputError, Problem
from cchc_rules.inputs import _grammar as grammar
from cchc_rules.inputs._office import OfficeOptions
from cchc_rules.inputs._units import read_units_file
from cchc_rules.providers import Evidence, FactProvider
from cchc_rules.ruleset._compiled import CompiledRuleset

if TYPE_CHECKING:
    import polars as pl

    from cchc_rules.inputs._records import RecordSet

__all__ = [
    "Derivation",
    "demo_records_dir",
    "derive_facts",
    "derived_fact_clashes",
    "parse_records_option",
    "record_paths",
]

DEFAULT_EVIDENCE_LIMIT = 5
_ARROW_TYPES = {
    "integer": pa.int64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "text": pa.string(),
}


def demo_records_dir(ruleset: CompiledRuleset) -> Path:
    """Where the demo record sets of a bundled ruleset version live."""
    meta = ruleset.model.ruleset
    demo = Path(__file__).resolve().parent.parent / "demo"
    return demo / "records" / f"{meta.family}_{meta.version}"


def parse_records_option(values: Sequence[str]) -> dict[str, Path]:
    """``NAME=PATH`` command-line values as a mapping; raises :class:`InputError`."""
    found: dict[str, Path] = {}
    problems = []
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name.strip() or not path.strip():
            problems.append(Problem("--records", None, "", f"expected NAME=PATH (got {value!r})"))
            continue
        found[name.strip()] = Path(path.strip())
    if problems:
        raise InputError(problems)
    return found


def record_paths(
    ruleset: CompiledRuleset,
    given: Mapping[str, Path | str] | None = None,
    *,
    demo: bool = False,
    demo_dir: Path | None = None,
) -> dict[str, Path]:
    """The file of every record set the ruleset reads.

    A file given (``--records NAME=PATH``) wins over the ruleset's default ``path``; with
    ``demo`` the bundled demo record sets fill in the rest: those of ``demo_dir``
    (default: the ruleset version's own, :func:`demo_records_dir`). A name the ruleset
    does not declare, or a record set with no file, is an error naming the choices.
    """
    demos = demo_dir or demo_records_dir(ruleset)
    given = dict(given or {})
    needed: list[str] = []
    if ruleset.model.providers:
        # NOTE: lazy: record sets are read with polars, which a ruleset without
        # providers never needs (it would cost every run its import).
        from cchc_rules.inputs._records import merged_schemas

        needed = list(merged_schemas(ruleset))
    declared = list(ruleset.model.record_sets or {})
    problems = [
        Problem(
            "--records",
            None,
            name,
            f"unknown record set{did_you_mean(name, declared)} (the ruleset {ruleset.ref} "
            f"reads {', '.join(needed) or 'none'})",
        )
        for name in given
        if name not in needed
    ]
    found: dict[str, Path] = {}
    for name in needed:
        if name in given:
            found[name] = Path(given[name])
        elif name in ruleset.record_paths:
            found[name] = ruleset.record_paths[name]
        elif demo and (demos / f"{name}.csv").exists():
            found[name] = demos / f"{name}.csv"
        else:
            problems.append(
                Problem(
                    "--records",
                    None,
                    name,
                    f"no file for record set {name!r}: pass --records {name}=PATH",
                )
            )
    if problems:
        raise InputError(problems)
    return found


# -- derivation ----------------------------------------------------------------------------


@dataclass
class Derivation:
    """The units table with derived facts added, and the evidence behind them.

    Pass ``table`` to ``read_units(table, ruleset.model, name=source, first_row=first_row)``
    so problems in the units file keep its name and row numbers.
    """

    ruleset: CompiledRuleset
    table: pa.Table
    source: str
    first_row: int
    records: Mapping[str, Mapping[str, pl.LazyFrame]] = field(default_factory=dict)
    """Per provider table, its roles' checked record sets (lazy scans)."""
    _cache: dict[tuple[str, str, int], list[Evidence]] = field(default_factory=dict)

    def evidence(
        self,
        unit_id: str,
        fact: str,
        *,
        lang: str = "vi",
        limit: int = DEFAULT_EVIDENCE_LIMIT,
    ) -> list[str]:
        """Up to ``limit`` lines naming the people or documents behind ``fact`` of the unit
        (empty for a fact that is not derived, or when nothing cost points)."""
        spec = self.ruleset.model.facts.get(fact)
        if spec is None or spec.derived is None:
            return []
        table, output = spec.derived.provider, spec.derived.output
        key = (table, unit_id, limit)
        if key not in self._cache:
            provider = self.ruleset.providers[table]
            self._cache[key] = provider.evidence(self.records[table], unit_id, limit)
        lines = [e.text(lang) for e in self._cache[key] if e.output == output]
        return lines[:limit]

    def evidence_for(
        self,
        unit_id: str,
        facts: Iterable[str],
        *,
        lang: str = "vi",
        limit: int = DEFAULT_EVIDENCE_LIMIT,
    ) -> list[str]:
        """The evidence of every fact a criterion reads, each line once, in fact order."""
        lines: list[str] = []
        for fact in facts:
            for line in self.evidence(unit_id, fact, lang=lang, limit=limit):
                if line not in lines:
                    lines.append(line)
        return lines


def derived_fact_clashes(
    ruleset: CompiledRuleset, columns: Iterable[str], source: str
) -> list[Problem]:
    """A units column named like a derived fact would compete with its provider."""
    present = set(columns)
    return [
        Problem(
            source,
            None,
            name,
            f"is a derived fact (from [providers.{spec.derived.provider}]); remove the column",
        )
        for name, spec in ruleset.model.facts.items()
        if spec.derived is not None and name in present
    ]


def derive_facts(
    ruleset: CompiledRuleset,
    units: Path | str | pa.Table,
    records: Mapping[str, Path | str | pl.DataFrame],
    *,
    source: str | None = None,
    first_row: int = 1,
    options: OfficeOptions | None = None,
) -> Derivation:
    """The units table with a column for every derived fact of ``ruleset``.

    ``units`` is a units file or an Arrow table (with ``unit_id``; read from a file,
    ``first_row`` is its first unit's row there); ``records`` maps each record set the
    ruleset reads to its file (see :func:`record_paths`) or, in tests, to a polars frame.
    A ruleset without providers returns the table unchanged.
    Raises :class:`InputError` with every problem of every record set, located, and for
    a units table that already has a column for a derived fact.
    """
    if isinstance(units, pa.Table):
        table, label = units, source or "<table>"
    else:
        path = Path(units)
        label = source or str(path)
        table, first_row = read_units_file(path, label, ruleset.model, options)
    derivation = Derivation(ruleset, table, label, first_row)
    derived = {name: spec for name, spec in ruleset.model.facts.items() if spec.derived is not None}
    if not ruleset.providers:
        return derivation
    # NOTE: lazy: polars is needed only when providers derive facts from record sets.
    import polars as pl

    clashes = derived_fact_clashes(ruleset, table.column_names, label)
    if clashes:
        raise InputError(clashes)
    if "unit_id" not in table.column_names:
        return derivation  # read_units reports the missing column
    try:
        text = table.column("unit_id").cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return derivation  # not text (a list, bytes): read_units reports the column
    # As read_units reads them, so records name units by the same ids.
    unit_ids = pc.utf8_trim_whitespace(pc.utf8_normalize(text, grammar.TEXT_FORM)).fill_null("")
    ids = pl.Series("unit_id", unit_ids.combine_chunks(), pl.String)
    unique_ids = ids.unique(maintain_order=True)

    checked = _check_record_sets(ruleset, records, unique_ids)
    outputs: dict[str, pl.DataFrame] = {}
    for table_name, provider in ruleset.providers.items():
        binding = (ruleset.model.providers or {})[table_name]
        roles = {
            role: checked[record_set].role(type(provider).record_sets[role])
            for role, record_set in binding.records.items()
        }
        derivation.records = {**derivation.records, table_name: roles}
        outputs[table_name] = _run(provider, table_name, roles, unique_ids)
    columns: dict[str, pa.Array] = {}
    order = pl.DataFrame({"unit_id": ids})
    for name, spec in derived.items():
        assert spec.derived is not None
        frame = outputs[spec.derived.provider]
        values = order.join(
            frame.select("unit_id", pl.col(spec.derived.output).alias("__value")),
            on="unit_id",
            how="left",
            maintain_order="left",
        )["__value"]
        columns[name] = values.to_arrow().cast(_ARROW_TYPES[spec.type])
    for name, column in columns.items():
        table = table.append_column(name, column)
    derivation.table = table
    return derivation


def _check_record_sets(
    ruleset: CompiledRuleset,
    records: Mapping[str, Path | str | pl.DataFrame],
    unit_ids: pl.Series,
) -> dict[str, RecordSet]:
    """Every record set read once, checked against its merged schema and the providers'
    own row checks; every problem of every record set raised together."""
    # NOTE: lazy: the record-set reader imports polars (see derive_facts).
    from cchc_rules.inputs._records import merged_schemas, read_record_set

    schemas = merged_schemas(ruleset)
    extra: dict[str, list[tuple[str, pl.Expr, str]]] = {name: [] for name in schemas}
    for table_name, provider in ruleset.providers.items():
        binding = (ruleset.model.providers or {})[table_name]
        for check in provider.record_checks():
            extra[binding.records[check.role]].append((check.column, check.bad, check.message))
    missing = [name for name in schemas if name not in records]
    if missing:
        raise InputError(
            [Problem("--records", None, name, "no file for this record set") for name in missing]
        )
    checked: dict[str, RecordSet] = {}
    problems: list[Problem] = []
    for name, schema in schemas.items():
        data = records[name]
        try:
            checked[name] = read_record_set(
                name,
                Path(data) if isinstance(data, str | Path) else data,
                schema,
                unit_ids,
                extra=extra[name],
            )
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return checked


def _run(
    provider: FactProvider[Any],
    table_name: str,
    roles: Mapping[str, pl.LazyFrame],
    unit_ids: pl.Series,
) -> pl.DataFrame:
    """One provider's outputs for every unit, checked: one row per unit, typed."""
    # NOTE: lazy: polars is imported only when a provider runs (see derive_facts).
    import polars as pl

    result = provider.derive(roles, pl.DataFrame({"unit_id": unit_ids}).lazy())
    frame = result.collect(engine="streaming") if isinstance(result, pl.LazyFrame) else result
    where = f"provider {provider.name} ([providers.{table_name}])"
    expected = ["unit_id", *provider.outputs()]
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        raise InputError(
            [Problem(where, None, "", f"derive() gave no column {', '.join(missing)}")]
        )
    if frame.height != unit_ids.len() or frame["unit_id"].n_unique() != frame.height:
        raise InputError(
            [
                Problem(
                    where,
                    None,
                    "",
                    f"derive() must give one row per unit ({unit_ids.len()} units, got "
                    f"{frame.height} rows)",
                )
            ]
        )
    return frame.select(expected)
