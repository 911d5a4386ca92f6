"""Golden cases of fact providers: records in, derived facts and evidence (or located
errors) out, derived the way a run derives them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel

from cchc_rules.errors import InputError, Problem
from cchc_rules.inputs._records import MergedSchema, RecordSet, read_record_set
from cchc_rules.providers import Column, DeriveContext, FactProvider, RecordSchema
from cchc_rules.testing._case_files import CASE_TABLE, case_params, read_case_file, where

__all__ = [
    "ProviderCase",
    "bind_provider",
    "derive_records",
    "load_provider_cases",
    "provider_case_params",
    "record_frame",
    "run_provider_golden",
]

AnyProvider = type[FactProvider[Any]]


class _Strict(BaseModel):
    model_config = CASE_TABLE


class _ProviderCaseEntry(_Strict):
    name: str
    params: dict[str, Any] = {}
    period: int | None = None
    units: list[str]
    records: dict[str, list[dict[str, Any]]] = {}
    expect: dict[str, dict[str, Any]] = {}
    evidence: dict[str, list[str]] = {}
    error: str | None = None


class _ProviderCaseFile(_Strict):
    provider: str
    period: int = 2020
    case: list[_ProviderCaseEntry] = []
    bad_records: list[_ProviderCaseEntry] = []


@dataclass(frozen=True)
class ProviderCase:
    """Records of a few units in, derived facts (and evidence) or located errors out."""

    provider: str
    name: str
    where: str
    period: int
    params: Mapping[str, Any]
    units: Sequence[str]
    records: Mapping[str, Sequence[Mapping[str, Any]]]
    expect: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    evidence: Mapping[str, Sequence[str]] = field(default_factory=dict)
    error: str | None = None
    """For ``[[bad_records]]``: a substring of one problem, e.g. ``roster:3: person_id:``."""


def load_provider_cases(path: str | Path) -> list[ProviderCase]:
    """The ``[[case]]`` and ``[[bad_records]]`` entries of one provider case file."""
    path = Path(path)
    parsed, lines = read_case_file(path, _ProviderCaseFile, "provider case file")
    found = []
    for section in ("case", "bad_records"):
        for index, entry in enumerate(getattr(parsed, section)):
            if (entry.error is None) != (section == "case"):
                raise ValueError(
                    f"{where(path, lines, (section, index))}: a [[case]] has no "
                    "'error'; a [[bad_records]] needs one"
                )
            found.append(
                ProviderCase(
                    provider=parsed.provider,
                    name=entry.name,
                    where=where(path, lines, (section, index)),
                    period=entry.period or parsed.period,
                    params=entry.params,
                    units=entry.units,
                    records=entry.records,
                    expect=entry.expect,
                    evidence=entry.evidence,
                    error=entry.error,
                )
            )
    return found


def _sections(file: Path) -> list[tuple[str, str, str, Any]]:
    return [
        (case.provider, "bad_records" if case.error is not None else "case", case.name, case)
        for case in load_provider_cases(file)
    ]


def provider_case_params(path: str | Path, providers: Iterable[AnyProvider]) -> list[Any]:
    """``pytest.param(provider_class, case)`` for every case under ``path`` (a file or a
    folder of ``*.toml``), for ``@pytest.mark.parametrize``."""
    return case_params(path, providers, lambda provider: provider.name, _sections)


def bind_provider(
    provider_class: AnyProvider, params: Mapping[str, Any], period: int = 2020
) -> FactProvider[Any]:
    """Validate ``params`` and bind the provider to a period, as the loader does."""
    provider = provider_class(
        provider_class.Params.model_validate(dict(params)), DeriveContext.for_year(period)
    )
    problems = provider.check()
    if problems:
        raise AssertionError(f"parameters refused: {problems}")
    return provider


def record_frame(rows: Sequence[Mapping[str, Any]], schema: RecordSchema) -> pl.DataFrame:
    """Rows (dicts) as a frame: typed columns where every value has the column's type,
    text otherwise, so a case can hold a wrong value and expect its located error."""
    # The columns the rows use (no rows: every column, typed, so an empty set reads).
    written = list(dict.fromkeys(k for row in rows for k in row))
    names = written if rows else list(schema.columns)
    columns: dict[str, pl.Series] = {}
    for name in names:
        values = [row.get(name) for row in rows]
        column = schema.columns.get(name)
        present = [v for v in values if v is not None]
        if column is not None and all(_fits(column, v) for v in present):
            columns[name] = pl.Series(name, values, column.polars_type)
        else:
            columns[name] = pl.Series(
                name, [None if v is None else _text(v) for v in values], pl.String
            )
    return pl.DataFrame(columns) if columns else pl.DataFrame()


def _fits(column: Column, value: Any) -> bool:
    expected: dict[str, Any] = {
        "integer": int,
        "boolean": bool,
        "date": dt.date,
        "text": str,
        "decimal": (int, Decimal),
    }
    if column.type == "integer" and isinstance(value, bool):
        return False
    return isinstance(value, expected[column.type])


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def derive_records(
    provider: FactProvider[Any],
    records: Mapping[str, pl.DataFrame],
    units: Sequence[str],
) -> tuple[pl.DataFrame, dict[str, pl.LazyFrame]]:
    """Check each role's records against its schema (and the provider's own row checks)
    and derive, as a run does; returns the outputs (one row per unit, in ``units``
    order) and the checked records (for ``evidence``). Raises :class:`InputError`."""
    unit_ids = pl.Series("unit_id", list(units), pl.String)
    checked: dict[str, RecordSet] = {}
    problems: list[Problem] = []
    for role, schema in type(provider).record_sets.items():
        merged = MergedSchema()
        merged.add(schema, role)
        extra = [(c.column, c.bad, c.message) for c in provider.record_checks() if c.role == role]
        frame = records.get(role)
        if frame is None:
            frame = record_frame([], schema)
        try:
            checked[role] = read_record_set(role, frame, merged, unit_ids, source=role, extra=extra)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    roles = {
        role: record.role(type(provider).record_sets[role]) for role, record in checked.items()
    }
    result = provider.derive(roles, pl.DataFrame({"unit_id": unit_ids}).lazy())
    frame = result.collect() if isinstance(result, pl.LazyFrame) else result
    order = pl.DataFrame({"unit_id": unit_ids})
    return order.join(frame, on="unit_id", how="left", maintain_order="left"), roles


def run_provider_golden(provider_class: AnyProvider, case: ProviderCase) -> None:
    """Run one provider case; raise AssertionError on any difference."""
    provider = bind_provider(provider_class, case.params, case.period)
    frames = {
        role: record_frame(rows, provider_class.record_sets[role])
        for role, rows in case.records.items()
        if role in provider_class.record_sets
    }
    unknown = sorted(set(case.records) - set(provider_class.record_sets))
    if unknown:
        raise AssertionError(f"{case.where}: unknown roles {unknown}")
    try:
        derived, roles = derive_records(provider, frames, case.units)
    except InputError as exc:
        if case.error is None:
            raise AssertionError(f"{case.where}: unexpected record problems:\n{exc}") from exc
        if not any(case.error in str(problem) for problem in exc.problems):
            raise AssertionError(
                f"{case.where}: expected a problem containing {case.error!r} (got:\n{exc})"
            ) from exc
        return
    if case.error is not None:
        raise AssertionError(f"{case.where}: expected a problem {case.error!r}; none found")
    outputs = provider.outputs()
    rows = {row["unit_id"]: row for row in derived.iter_rows(named=True)}
    for unit_id, expected in case.expect.items():
        for output, value in expected.items():
            if output not in outputs:
                raise AssertionError(f"{case.where}: {output!r} is not an output")
            got = rows[unit_id][output]
            if got != value or type(got) is not type(value):
                raise AssertionError(
                    f"{case.where}: {unit_id}.{output}: expected {value!r} (got {got!r})"
                )
    for unit_id, wanted in case.evidence.items():
        lines = provider.evidence(roles, unit_id, 10)
        for line in lines:
            for lang in ("vi", "en"):
                if not line.text(lang) or "{" in line.text(lang):
                    raise AssertionError(f"{case.where}: unrendered evidence {line}")
            if line.output not in outputs:
                raise AssertionError(f"{case.where}: evidence for unknown output {line.output!r}")
        texts = [line.en for line in lines]
        for substring in wanted:
            if not any(substring in text for text in texts):
                raise AssertionError(
                    f"{case.where}: {unit_id}: expected evidence containing {substring!r} "
                    f"(got {texts})"
                )
        if not wanted and lines:
            raise AssertionError(f"{case.where}: {unit_id}: expected no evidence (got {texts})")
