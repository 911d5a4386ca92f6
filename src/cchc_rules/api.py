"""The Python API, mirroring the CLI: load a ruleset, evaluate units, explain, compare."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cchc_rules._names import NAME
from cchc_rules._plugins import KindRegistry, load_plugins
from cchc_rules.errors import Problem, RulesetError
from cchc_rules.inputs._derive import Derivation, derive_facts, record_paths
from cchc_rules.inputs._units import UnitTable, read_units, to_arrow
from cchc_rules.results._compare import Comparison
from cchc_rules.results._scorecards import Scorecards
from cchc_rules.ruleset._compiled import CompiledRuleset
from cchc_rules.ruleset._loading import load_ruleset_file
from cchc_rules.ruleset._lock import PUBLISHED
from cchc_rules.ruleset._models import Ruleset
from cchc_rules.ruleset._registry import (
    bundled_rulesets_dir,
    find_ruleset,
    list_ruleset_files,
    rulesets_root,
)
from cchc_rules.ruleset._toml import read_toml
from cchc_rules.scoring._aggregate import aggregate
from cchc_rules.scoring._engine import DEFAULT_BATCH_SIZE, score_units

__all__ = [
    "Selection",
    "compare",
    "default_registry",
    "demo_units_path",
    "evaluate",
    "evaluate_units",
    "load_ruleset",
    "read_with_records",
    "resolve_reference",
    "select_ruleset",
]


@cache
def default_registry() -> KindRegistry:
    """Kinds from every installed plugin (entry points), loaded once per process."""
    return load_plugins()


def load_ruleset(
    ruleset: str | Path,
    *,
    rulesets_dir: Path | None = None,
    registry: KindRegistry | None = None,
) -> CompiledRuleset:
    """Load and validate a ruleset from a TOML path or a ``family@version`` reference.

    An amendment (``extends``) is resolved against its parent, looked up in
    ``rulesets_dir`` (default: the bundled rulesets).
    """
    path = find_ruleset(str(ruleset), rulesets_dir)
    display = str(ruleset) if str(ruleset).endswith(".toml") else _display(path, rulesets_dir)
    return load_ruleset_file(
        path, registry=registry or default_registry(), display=display, rulesets_dir=rulesets_dir
    )


@dataclass(frozen=True)
class Selection:
    """The version chosen for an evaluation period, and why."""

    ruleset: CompiledRuleset
    period: int
    reason: str


def select_ruleset(
    family: str,
    period: int,
    *,
    rulesets_dir: Path | None = None,
    registry: KindRegistry | None = None,
) -> Selection:
    """The version of ``family`` in force for evaluation ``period``.

    Drafts never apply. Two versions in force for one period is an error unless each
    declares the overlap (``[ruleset.transition]``) and exactly one is its default.
    """
    versions = [f for f in list_ruleset_files(rulesets_dir) if f.family == family]
    if not versions:
        root = rulesets_root(rulesets_dir)
        raise RulesetError([Problem(family, None, "", f"no ruleset family {family!r} in {root}")])
    summary: list[str] = []
    candidates = []
    for entry in versions:
        # Status and periods are never inherited, so the file's own [ruleset] tells
        # whether it applies; only candidates are resolved and validated in full.
        data, _ = read_toml(entry.path, entry.ref)
        raw_meta = data.get("ruleset")
        meta: dict[str, object] = raw_meta if isinstance(raw_meta, dict) else {}
        status, periods = meta.get("status"), meta.get("periods")
        summary.append(f"{entry.ref} {status} {periods}")
        if status in PUBLISHED and isinstance(periods, list) and period in periods:
            candidates.append(load_ruleset(entry.ref, rulesets_dir=rulesets_dir, registry=registry))
    if not candidates:
        raise RulesetError(
            [
                Problem(
                    f"{family} --period {period}",
                    None,
                    "",
                    f"no version of {family} is in force for {period} "
                    f"(versions: {'; '.join(summary)})",
                )
            ]
        )
    if len(candidates) == 1:
        chosen = candidates[0]
        return Selection(
            chosen, period, f"{_describe(chosen.model)}: the only version in force for {period}"
        )
    refs = ", ".join(c.ref for c in candidates)
    declared = [
        c
        for c in candidates
        if c.model.ruleset.transition is not None and period in c.model.ruleset.transition.periods
    ]
    defaults = [
        c for c in declared if c.model.ruleset.transition and c.model.ruleset.transition.default
    ]
    if len(declared) != len(candidates) or len(defaults) != 1:
        raise RulesetError(
            [
                Problem(
                    f"{family} --period {period}",
                    None,
                    "",
                    f"{len(candidates)} versions are in force for {period} ({refs}) and they do "
                    "not declare a transition with one default; name the version "
                    f"({candidates[-1].ref}), or declare [ruleset.transition] periods = "
                    f"[{period}] in each, with default = true in one",
                )
            ]
        )
    chosen = defaults[0]
    return Selection(
        chosen,
        period,
        f"{_describe(chosen.model)}: transition in {period}, units may choose {refs}; "
        f"{chosen.ref} is the default (name another version to use it)",
    )


def _describe(model: Ruleset) -> str:
    meta = model.ruleset
    periods = ", ".join(str(p) for p in meta.periods)
    return (
        f"{model.ref} ({meta.status}, decision {meta.legal_basis.decision} of "
        f"{meta.legal_basis.date:%d/%m/%Y}, periods {periods})"
    )


def resolve_reference(
    name: str,
    period: int | None,
    *,
    rulesets_dir: Path | None = None,
    registry: KindRegistry | None = None,
) -> tuple[CompiledRuleset, str | None]:
    """A ruleset named as ``family@version``, a path, or a bare family with a period.

    Returns the ruleset and a note for the user when the choice needs saying: the
    version picked for the period, or an explicit version that does not cover it.
    """
    if period is not None and re.fullmatch(NAME, name):
        selection = select_ruleset(name, period, rulesets_dir=rulesets_dir, registry=registry)
        return selection.ruleset, f"{name} for {period}: {selection.reason}"
    if re.fullmatch(NAME, name) and not Path(name).exists():
        versions = [f.ref for f in list_ruleset_files(rulesets_dir) if f.family == name]
        if versions:
            raise RulesetError(
                [
                    Problem(
                        name,
                        None,
                        "",
                        f"{name} is a ruleset family: name a version ({', '.join(versions)}) "
                        "or an evaluation period (--period YEAR)",
                    )
                ]
            )
    compiled = load_ruleset(name, rulesets_dir=rulesets_dir, registry=registry)
    periods = compiled.model.ruleset.periods
    if period is not None and period not in periods:
        covered = ", ".join(str(p) for p in periods)
        return compiled, (
            f"{compiled.ref} was named explicitly and is used, though it covers {covered}, "
            f"not {period}"
        )
    return compiled, None


def _display(path: Path, rulesets_dir: Path | None) -> str:
    """How messages name a registry file: relative to the working directory when it is
    below it, ``rulesets/…`` for a bundled ruleset elsewhere, else its full path."""
    resolved = path.resolve()
    if resolved.is_relative_to(Path.cwd()):
        return str(resolved.relative_to(Path.cwd()))
    if rulesets_dir is None and resolved.is_relative_to(bundled_rulesets_dir().resolve()):
        return f"rulesets/{resolved.relative_to(bundled_rulesets_dir().resolve())}"
    return str(path)


def compare(
    before: CompiledRuleset | str | Path,
    after: CompiledRuleset | str | Path,
    units: Path | str | object,
) -> Comparison:
    """Score the same units and facts under two versions (what-if).

    Each version reads the columns it declares; a column only the other version
    declares is checked against that version's declaration and otherwise left alone,
    so one file can carry the facts of both. A column neither declares is an error.
    """
    first = before if isinstance(before, CompiledRuleset) else load_ruleset(before)
    second = after if isinstance(after, CompiledRuleset) else load_ruleset(after)
    return Comparison(
        evaluate_units(first, read_units(units, _with_facts_of(first.model, second.model))),
        evaluate_units(second, read_units(units, _with_facts_of(second.model, first.model))),
    )


def _with_facts_of(model: Ruleset, other: Ruleset) -> Ruleset:
    """``model`` also accepting (as optional) the facts only ``other`` declares."""
    extra = {
        name: spec.model_copy(update={"required": False})
        for name, spec in other.facts.items()
        if name not in model.facts
    }
    return model.model_copy(update={"facts": {**model.facts, **extra}})


def demo_units_path(ruleset: CompiledRuleset) -> Path:
    """The bundled demo units for a bundled ruleset family and version."""
    meta = ruleset.model.ruleset
    return Path(__file__).resolve().parent / "demo" / f"{meta.family}_units_{meta.version}.csv"


def evaluate(
    ruleset: CompiledRuleset | str | Path,
    units: object,
    *,
    records: Mapping[str, Path | str] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[int], None] | None = None,
) -> Scorecards:
    """Score units under a ruleset.

    ``units`` is a file (CSV, Parquet, XLSX, JSON) or an Arrow-compatible table
    (pyarrow, polars, pandas) with ``unit_id``, ``name``, ``unit_type``, optionally
    ``peer_group``, and one column per input fact. A ruleset with fact providers also
    reads record sets: ``records`` maps record-set names to files (over the ruleset's
    default paths); for the bundled demo units the bundled demo records fill in.
    """
    compiled = ruleset if isinstance(ruleset, CompiledRuleset) else load_ruleset(ruleset)
    demo = isinstance(units, str | Path) and Path(units) == demo_units_path(compiled)
    table, derivation = read_with_records(compiled, units, records, demo=demo)
    return evaluate_units(
        compiled, table, batch_size=batch_size, on_progress=on_progress, derivation=derivation
    )


def read_with_records(
    ruleset: CompiledRuleset,
    units: object,
    records: Mapping[str, Path | str] | None = None,
    *,
    demo: bool = False,
) -> tuple[UnitTable, Derivation | None]:
    """Units read and checked, with the facts derived from record sets added first."""
    if not ruleset.providers:
        return read_units(units, ruleset.model), None
    source = units if isinstance(units, str | Path) else to_arrow(units)
    derivation = derive_facts(ruleset, source, record_paths(ruleset, records, demo=demo))
    table = read_units(
        derivation.table, ruleset.model, name=derivation.source, first_row=derivation.first_row
    )
    return table, derivation


def evaluate_units(
    ruleset: CompiledRuleset,
    units: UnitTable,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[int], None] | None = None,
    derivation: Derivation | None = None,
) -> Scorecards:
    """Score an already validated unit table."""
    matrix = score_units(ruleset, units, batch_size=batch_size, on_progress=on_progress)
    aggregates = aggregate(ruleset, units, matrix)
    return Scorecards(ruleset, units, matrix, aggregates, derivation)
