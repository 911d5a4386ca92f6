"""The Python API: every operation of the ``cchc`` command is a function here.

Load, list, show, diff, amend and lock rulesets; evaluate units (in memory, or from a
Parquet dataset to a Parquet file); compare two versions; list the plugins.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from cchc_rules._names import NAME
from cchc_rules._plugins import KindRegistry, load_plugins
from cchc_rules.errors import CchcError, InputError, Problem, RulesetError
from cchc_rules.evaluation._stream import dataset_rows, evaluate_dataset
from cchc_rules.inputs._derive import Derivation, derive_facts, record_paths
from cchc_rules.inputs._units import UnitTable, read_units, read_units_file, to_arrow
from cchc_rules.reports._atomic import write_atomic
from cchc_rules.reports._catalogue import catalogue_document
from cchc_rules.reports._json import json_bytes
from cchc_rules.reports._parquet import write_parquet
from cchc_rules.results._compare import Comparison
from cchc_rules.results._scorecards import Scorecards
from cchc_rules.ruleset._authoring import (
    AssignmentError,
    LockUpdate,
    VersionState,
    amendment_text,
    lock_update,
    version_states,
)
from cchc_rules.ruleset._compiled import CompiledRuleset
from cchc_rules.ruleset._diff import RulesetDiff, diff_rulesets
from cchc_rules.ruleset._loading import load_ruleset_file, load_ruleset_text
from cchc_rules.ruleset._lock import LOCK_FILE, PUBLISHED, render_lock
from cchc_rules.ruleset._models import Ruleset
from cchc_rules.ruleset._registry import (
    bundled_rulesets_dir,
    find_ruleset,
    list_ruleset_files,
    rulesets_root,
)
from cchc_rules.ruleset._toml import read_toml, ruleset_toml
from cchc_rules.scoring._aggregate import aggregate
from cchc_rules.scoring._engine import DEFAULT_BATCH_SIZE, score_units

__all__ = [
    "PARQUET_SUFFIXES",
    "Amendment",
    "AssignmentError",
    "LockUpdate",
    "ProgressBar",
    "Selection",
    "VersionState",
    "amend_ruleset",
    "compare",
    "default_registry",
    "demo_units",
    "demo_units_path",
    "diff",
    "evaluate",
    "evaluate_to_parquet",
    "evaluate_units",
    "is_parquet",
    "list_rulesets",
    "load_ruleset",
    "lock_rulesets",
    "plugin_catalogue",
    "read_with_records",
    "require_units",
    "resolve_reference",
    "resolved_text",
    "select_ruleset",
]

PARQUET_SUFFIXES = (".parquet", ".pq")

ProgressBar = Callable[[int], AbstractContextManager[Callable[[int], None] | None]]
"""Given the number of units, a context that yields what to call with each number scored
(or None: no progress shown)."""


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
    *,
    records: Mapping[str, Path | str] | None = None,
) -> Comparison:
    """Score the same units and facts under two versions (what-if).

    Each version reads the columns it declares; a column only the other version
    declares is checked against that version's declaration and otherwise left alone,
    so one file can carry the facts of both. A column neither declares is an error.

    A version with fact providers derives its facts from ``records`` (record-set name
    to file, over the ruleset's default paths; for bundled demo units the demo record
    sets fill in). A fact one version derives and the other reads as a column is taken
    from the column when the file has it, else from the derivation: the same records
    give both versions the same fact.
    """
    first = before if isinstance(before, CompiledRuleset) else load_ruleset(before)
    second = after if isinstance(after, CompiledRuleset) else load_ruleset(after)
    if isinstance(units, str | Path):
        label = str(units)
        table, first_row = read_units_file(Path(units), label)
    else:
        label, table, first_row = "<table>", to_arrow(units), 1
    derived = [
        _derive_beside(side, other, units, table, label, first_row, records)
        for side, other in ((first, second), (second, first))
    ]
    cards = []
    for (side, other), own, theirs in zip(
        ((first, second), (second, first)), derived, derived[::-1], strict=True
    ):
        read = own.table if own is not None else table
        if theirs is not None:
            for name in _inputs(side) - set(read.column_names):
                if name in theirs.table.column_names and name in _derived(other):
                    read = read.append_column(name, theirs.table.column(name))
        unit_table = read_units(
            read, _with_facts_of(side.model, other.model), name=label, first_row=first_row
        )
        cards.append(evaluate_units(side, unit_table, derivation=own))
    return Comparison(cards[0], cards[1])


def _inputs(ruleset: CompiledRuleset) -> set[str]:
    """The facts a version reads as columns of the units table."""
    facts = ruleset.model.facts.items()
    return {name for name, spec in facts if not spec.computed and spec.derived is None}


def _derived(ruleset: CompiledRuleset) -> set[str]:
    return {name for name, spec in ruleset.model.facts.items() if spec.derived is not None}


def _derive_beside(
    ruleset: CompiledRuleset,
    other: CompiledRuleset,
    units: object,
    table: pa.Table,
    label: str,
    first_row: int,
    records: Mapping[str, Path | str] | None,
) -> Derivation | None:
    """``ruleset``'s derived facts for a comparison with ``other`` (None: it has no
    providers). A column ``ruleset`` derives but ``other`` reads is ``other``'s: it is
    left out of this side, which derives its own."""
    if not ruleset.providers:
        return None
    theirs = [n for n in table.column_names if n in _derived(ruleset) and n in _inputs(other)]
    files = _record_files(ruleset, units, records, True)
    return derive_facts(
        ruleset, table.drop_columns(theirs), files, source=label, first_row=first_row
    )


def _with_facts_of(model: Ruleset, other: Ruleset) -> Ruleset:
    """``model`` also accepting (as optional) the facts only ``other`` declares."""
    extra = {
        name: spec.model_copy(update={"required": False})
        for name, spec in other.facts.items()
        if name not in model.facts
    }
    return model.model_copy(update={"facts": {**model.facts, **extra}})


_DEMO = Path(__file__).resolve().parent / "demo"


def demo_units_path(ruleset: CompiledRuleset) -> Path:
    """The bundled demo units for a bundled ruleset family and version."""
    meta = ruleset.model.ruleset
    return _DEMO / f"{meta.family}_units_{meta.version}.csv"


def demo_units(
    ruleset: CompiledRuleset, *, rulesets_dir: Path | None = None
) -> tuple[Path, str | None]:
    """The demo units to score ``ruleset`` with, and a note when they are another
    version's: those bundled for its version, else those of the nearest version it
    extends (a new draft amending a bundled version scores the demo units of that one).

    Raises :class:`CchcError` naming what to pass when no version of the chain has any.
    """
    path = demo_units_path(ruleset)
    if path.exists():
        return path, None
    tried = [ruleset.ref]
    parent = ruleset.model.ruleset.extends
    while parent is not None and parent not in tried:
        family, _, version = parent.partition("@")
        path = _DEMO / f"{family}_units_{version}.csv"
        if path.exists():
            return path, f"no demo units are bundled for {ruleset.ref}; using those of {parent}"
        tried.append(parent)
        parent = _extends(parent, rulesets_dir)
    raise CchcError(
        [
            Problem(
                "demo",
                None,
                "",
                f"no demo units are bundled for {' or '.join(tried)}; pass a units file "
                "(.csv, .parquet, .xlsx or .json) instead of 'demo'",
            )
        ]
    )


def _extends(ref: str, rulesets_dir: Path | None) -> str | None:
    """The version ``ref`` amends, from its own file (None: none, or it cannot be read)."""
    try:
        data, _ = read_toml(find_ruleset(ref, rulesets_dir), ref)
    except CchcError:
        return None
    meta = data.get("ruleset")
    parent = meta.get("extends") if isinstance(meta, dict) else None
    return parent if isinstance(parent, str) else None


def _demo_records(units: object) -> Path | None:
    """The demo record sets of bundled demo units (None: ``units`` are not those)."""
    if not isinstance(units, str | Path):
        return None
    path = Path(units).resolve()
    if path.parent != _DEMO or "_units_" not in path.stem:
        return None
    return _DEMO / "records" / path.stem.replace("_units_", "_", 1)


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
    table, derivation = read_with_records(compiled, units, records, demo=True)
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
    """Units read and checked, with the facts derived from record sets added first.

    With ``demo``, when ``units`` are bundled demo units their demo record sets fill in
    the record sets ``records`` does not name.
    """
    if not ruleset.providers:
        return read_units(units, ruleset.model), None
    source = units if isinstance(units, str | Path) else to_arrow(units)
    derivation = derive_facts(ruleset, source, _record_files(ruleset, units, records, demo))
    table = read_units(
        derivation.table, ruleset.model, name=derivation.source, first_row=derivation.first_row
    )
    return table, derivation


def _record_files(
    ruleset: CompiledRuleset,
    units: object,
    records: Mapping[str, Path | str] | None,
    demo: bool,
) -> dict[str, Path]:
    """The record-set files for ``units``: ``records``, the ruleset's default paths, and
    with ``demo`` the demo record sets of bundled demo units."""
    demo_dir = _demo_records(units) if demo else None
    return record_paths(ruleset, records, demo=demo_dir is not None, demo_dir=demo_dir)


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


def require_units(count: int, source: str) -> None:
    """Refuse a units table with no rows: there is nothing to score, grade or publish.

    The command line refuses it (an empty ranking published by mistake is worse than a
    refusal); the other functions here score an empty table to an empty result.
    """
    if count == 0:
        raise InputError(
            [Problem(source, None, "", "no units to score (expected at least one row)")]
        )


def is_parquet(path: Path) -> bool:
    """Whether ``path`` is a Parquet dataset: a directory of files, or a .parquet file."""
    return path.is_dir() or path.suffix.lower() in PARQUET_SUFFIXES


def evaluate_to_parquet(
    ruleset: CompiledRuleset,
    units: Path,
    output: Path,
    *,
    force: bool = False,
    lang: str = "vi",
    workers: int = 1,
    engine: Literal["local", "dask"] = "local",
    scheduler: str | None = None,
    records: Mapping[str, Path | str] | None = None,
    progress: ProgressBar | None = None,
    refuse_empty: bool = False,
) -> None:
    """Score a units file into the Parquet file ``output``, the way that fits the input.

    A Parquet dataset (a file, or a directory of them) streams through in pieces, in
    bounded memory: in this process, on ``workers`` processes, or on Dask (``engine``,
    at ``scheduler``; needs the ``cchc-rules[dask]`` extra). Any other file is scored
    in memory, which ``workers`` > 1 and Dask cannot do (:class:`ValueError`). The
    results are the same either way, ranks global within each peer group. With
    ``refuse_empty``, units with no rows are refused (:func:`require_units`) before
    anything is written.
    """
    if scheduler is not None and engine != "dask":
        raise ValueError("a scheduler needs the dask engine")
    show = progress or (lambda total: nullcontext(None))
    if not is_parquet(units):
        if workers > 1 or engine == "dask":
            raise ValueError(
                "--workers and --engine dask read a Parquet dataset (a .parquet file or a "
                "directory of them)"
            )
        table, derivation = read_with_records(ruleset, units, records, demo=True)
        if refuse_empty:
            require_units(len(table), table.source)
        with show(len(table)) as advance:
            cards = evaluate_units(ruleset, table, on_progress=advance, derivation=derivation)
        write_parquet([cards.to_arrow(lang=lang)], output, force=force)
        return
    total = dataset_rows(units)
    if refuse_empty:
        require_units(total, str(units))
    record_files = _record_files(ruleset, units, records, True) if ruleset.providers else None
    with show(total) as advance:
        if engine == "local":
            evaluate_dataset(
                ruleset,
                units,
                output,
                workers=workers,
                force=force,
                lang=lang,
                on_progress=advance,
                records=record_files,
            )
            return
        try:
            # NOTE: imported here, not above: Dask is an optional extra, and only a run
            # on Dask needs it (the import contract lets this one import through).
            from cchc_rules.evaluation._dask import evaluate_dataset_on_dask
        except ImportError as exc:
            raise CchcError(
                [
                    Problem(
                        "--engine dask",
                        None,
                        "",
                        f"Dask is not installed ({exc.name}); install the extra: "
                        "pip install 'cchc-rules[dask]'",
                    )
                ]
            ) from exc
        evaluate_dataset_on_dask(
            ruleset,
            units,
            output,
            scheduler=scheduler,
            workers=workers if workers > 1 else None,
            force=force,
            lang=lang,
            on_progress=advance,
            records=record_files,
        )


def list_rulesets(
    *, rulesets_dir: Path | None = None, registry: KindRegistry | None = None
) -> list[VersionState]:
    """Every version in ``rulesets_dir`` (default: the bundled rulesets), each validated:
    its compiled ruleset or its error, and whether the lock records it."""
    return version_states(registry or default_registry(), rulesets_dir)


def resolved_text(ruleset: CompiledRuleset, format: Literal["toml", "json"] = "toml") -> str:
    """The resolved ruleset (an amendment merged into its parent) as TOML or JSON.

    The TOML loads back with the same content hash.
    """
    model = ruleset.model
    if format == "json":
        return json_bytes(model.model_dump(mode="json", exclude_none=True)).decode()
    return ruleset_toml(model.model_dump(mode="python", exclude_none=True))


def diff(
    before: CompiledRuleset | str | Path,
    after: CompiledRuleset | str | Path,
    *,
    rulesets_dir: Path | None = None,
    registry: KindRegistry | None = None,
) -> RulesetDiff:
    """What changed between two versions: criteria added, removed and changed (field by
    field), area totals, the lineage of renamed, split and merged criteria."""
    first, second = (
        side
        if isinstance(side, CompiledRuleset)
        else load_ruleset(side, rulesets_dir=rulesets_dir, registry=registry)
        for side in (before, after)
    )
    return diff_rulesets(first.model, second.model, first.content_hash, second.content_hash)


@dataclass(frozen=True)
class Amendment:
    """A draft amendment written by :func:`amend_ruleset`."""

    ref: str
    path: Path
    changes: int


def amend_ruleset(
    base: CompiledRuleset | str,
    version: str,
    legal_basis: str,
    *,
    set_values: Sequence[str] = (),
    remove: Sequence[str] = (),
    why: str | None = None,
    date: dt.date | None = None,
    periods: Sequence[int] | None = None,
    rulesets_dir: Path | None = None,
    registry: KindRegistry | None = None,
) -> Amendment:
    """Write a new draft ``version`` amending ``base`` into ``rulesets_dir``.

    ``set_values`` are ``ID.field=VALUE`` assignments (VALUE in TOML), ``remove`` ids to
    retire, ``why`` the requirement behind the changes; ``date`` (default today) is the
    decision's, ``periods`` default to ``base``'s. The draft is resolved and validated
    before it is written, and an existing version is never touched
    (:class:`~cchc_rules.errors.CchcError`). An assignment naming no existing id and
    field raises :class:`AssignmentError` (a ValueError).
    """
    registry = registry or default_registry()
    parent = (
        base
        if isinstance(base, CompiledRuleset)
        else load_ruleset(base, rulesets_dir=rulesets_dir, registry=registry)
    )
    family = parent.model.ruleset.family
    target = rulesets_root(rulesets_dir) / family / f"{version}.toml"
    ref = f"{family}@{version}"
    if target.exists():
        raise CchcError(
            [
                Problem(
                    str(target),
                    None,
                    "",
                    f"{ref} already exists; amendments never touch an existing version",
                )
            ]
        )
    text, changes = amendment_text(
        parent,
        version,
        legal_basis,
        set_values=set_values,
        remove=remove,
        why=why,
        date=date or dt.date.today(),
        periods=periods,
    )
    # Resolve and validate from memory first: an invalid amendment is never written.
    load_ruleset_text(
        text, target, registry=registry, display=str(target), rulesets_dir=rulesets_dir
    )
    write_atomic(target, text.encode(), force=False)
    return Amendment(ref, target, changes)


def lock_rulesets(
    *, rulesets_dir: Path | None = None, registry: KindRegistry | None = None
) -> LockUpdate:
    """Record in ``lock.toml`` the content hash of every published version not yet in it.

    Recorded hashes are never rewritten. Versions that fail to load are left out and
    their problems returned; the others are recorded all the same.
    """
    update = lock_update(registry or default_registry(), rulesets_dir)
    if update.added:
        root = rulesets_root(rulesets_dir)
        write_atomic(root / LOCK_FILE, render_lock(update.lock).encode(), force=True)
    return update


def plugin_catalogue(registry: KindRegistry | None = None) -> dict[str, Any]:
    """Every plugin, criterion kind and fact provider, as ``cchc plugins list --format
    json`` writes it (the keys are listed in that command's help)."""
    return catalogue_document(registry or default_registry())
