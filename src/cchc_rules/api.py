"""The Python API: every operation of the ``cchc`` command is a function here.

Load, list, show, diff, amend and lock rulesets; evaluate units (in memory, or from a
Parquet dataset to a Parquet file); compare two versions; list the plugins; make the
HTML report, the unit scorecards and an explanation as a file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa

from cchc_rules._names import NAME
from cchc_rules._plugins import KindRegistry, load_plugins
from cchc_rules.errors import CchcError, InputError, Problem, RulesetError
from cchc_rules.inputs._derive import Derivation, derive_facts, record_paths
from cchc_rules.inputs._fact_checks import FactWarning
from cchc_rules.inputs._office import OfficeOptions
from cchc_rules.inputs._units import (
    OPTIONAL_UNIT_COLUMNS,
    UNIT_COLUMNS,
    UnitTable,
    read_units,
    read_units_file,
    read_units_source,
    to_arrow,
)
from cchc_rules.reports._atomic import write_atomic
from cchc_rules.reports._limits import UNIT_SECTIONS_MAX as REPORT_UNIT_SECTIONS_MAX
from cchc_rules.results._scorecards import OutputColumns, Scorecards
from cchc_rules.ruleset._authoring import (
    AssignmentError,
    LockUpdate,
    VersionState,
    amendment_text,
    lock_update,
    version_states,
)
from cchc_rules.ruleset._compiled import CompiledRuleset
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

# NOTE: lazy: what only some operations use is imported inside them (each marked "lazy:
# see the imports"): the report, workbook, JSON and Parquet writers, the what-if
# comparison, the provenance record, the ruleset diff, the data-entry form and the CSV
# streaming layout. Every `cchc` command imports this module, and an evaluation to the
# terminal uses none of them (tests/cli/test_startup.py checks what it imports).

if TYPE_CHECKING:
    from cchc_rules.inputs._office import CsvLayout
    from cchc_rules.reports._assessed import AssessedResults
    from cchc_rules.results._compare import Comparison
    from cchc_rules.ruleset._diff import RulesetDiff
    from cchc_rules.store._ops import (
        CampaignScorecards,
        CampaignState,
        CarryOver,
        ChainCheck,
        ImportResult,
        RunDiff,
        RunRecord,
        Store,
        Verification,
    )

__all__ = [
    "EXPLAIN_SUFFIXES",
    "PARQUET_SUFFIXES",
    "REPORT_UNIT_SECTIONS_MAX",
    "Amendment",
    "AssignmentError",
    "ExplainFileFormat",
    "LockUpdate",
    "ProgressBar",
    "Selection",
    "VersionState",
    "amend_ruleset",
    "annex_xlsx",
    "appeal",
    "appraise",
    "campaign_scorecards",
    "campaign_state",
    "carry_over",
    "close_collection",
    "compare",
    "data_entry_form",
    "default_registry",
    "demo_units",
    "demo_units_path",
    "diff",
    "diff_runs",
    "evaluate",
    "evaluate_to_parquet",
    "evaluate_units",
    "explain_file_format",
    "explanation_document",
    "export_run",
    "import_survey",
    "is_parquet",
    "list_campaigns",
    "list_rulesets",
    "load_ruleset",
    "lock_rulesets",
    "open_campaign",
    "open_store",
    "plugin_catalogue",
    "provenance_record",
    "publish",
    "read_with_records",
    "report_html",
    "require_units",
    "resolve_reference",
    "resolved_text",
    "scorecard_html",
    "select_ruleset",
    "self_assess",
    "stored_results",
    "verify_campaign",
    "verify_run",
    "write_scorecards",
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
    # NOTE: lazy: see the imports.
    from cchc_rules.results._compare import Comparison

    first = before if isinstance(before, CompiledRuleset) else load_ruleset(before)
    second = after if isinstance(after, CompiledRuleset) else load_ruleset(after)
    if isinstance(units, str | Path):
        label = str(units)
        table, first_row = read_units_file(Path(units), label, first.model)
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


def _demo_shown(path: Path) -> str:
    """How a file is named in a store: a bundled demo file as ``demo/…``, not by where
    this installation keeps it."""
    if path.resolve().is_relative_to(_DEMO):
        return f"demo/{path.resolve().relative_to(_DEMO).as_posix()}"
    return str(path)


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


def data_entry_form(
    ruleset: CompiledRuleset | str | Path, *, units: Path | str | None = None, lang: str = "vi"
) -> bytes:
    """The data-entry workbook of ``ruleset`` (``cchc template``), as XLSX bytes.

    ``units`` is a roster (any units file; only its unit columns are read) whose units
    fill the entry rows. Raises :class:`InputError` for a roster without unit ids.
    """
    # NOTE: lazy: see the imports.
    from cchc_rules.inputs._form import form_workbook

    compiled = ruleset if isinstance(ruleset, CompiledRuleset) else load_ruleset(ruleset)
    roster = None
    if units is not None:
        office = read_units_source(Path(units), str(units), compiled.model)
        roster = office.table
        if "unit_id" not in roster.column_names:
            raise InputError([Problem(str(units), None, "unit_id", "missing required column")])
        ids = roster.column("unit_id").to_pylist()
        problems = [
            Problem(str(units), int(row), "unit_id", "expected a unit id")
            for row, unit_id in zip(office.rows, ids, strict=True)
            if not str(unit_id or "").strip()
        ]
        if problems:
            raise InputError(problems)
    return form_workbook(compiled.model, roster, lang)


def read_with_records(
    ruleset: CompiledRuleset,
    units: object,
    records: Mapping[str, Path | str] | None = None,
    *,
    demo: bool = False,
    options: OfficeOptions | None = None,
) -> tuple[UnitTable, Derivation | None]:
    """Units read and checked, with the facts derived from record sets added first.

    With ``demo``, when ``units`` are bundled demo units their demo record sets fill in
    the record sets ``records`` does not name. ``options`` say how to read an office
    units file (sheet, encoding, delimiter, header map).
    """
    if not ruleset.providers:
        return read_units(units, ruleset.model, options=options), None
    source = units if isinstance(units, str | Path) else to_arrow(units)
    files = _record_files(ruleset, units, records, demo)
    derivation = derive_facts(ruleset, source, files, options=options)
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
    columns: OutputColumns = "all",
    workers: int | None = 1,
    engine: Literal["local", "dask"] = "local",
    scheduler: str | None = None,
    records: Mapping[str, Path | str] | None = None,
    progress: ProgressBar | None = None,
    refuse_empty: bool = False,
    provenance: Mapping[str, Any] | None = None,
    options: OfficeOptions | None = None,
    on_notes: Callable[[str, Sequence[str]], None] | None = None,
) -> tuple[FactWarning, ...]:
    """Score a units file into the Parquet file ``output``, the way that fits the input;
    the units that break a warning check between facts (``[[checks]]``).

    A Parquet dataset (a file, or a directory of them) streams through in pieces, in
    bounded memory: in this process, on ``workers`` processes, or on Dask (``engine``,
    at ``scheduler``; needs the ``cchc-rules[dask]`` extra). A CSV file streams through
    in this process (decision 0030). Any other file is scored in memory. Only a Parquet
    dataset can go to ``workers`` > 1 or Dask (:class:`ValueError`); ``workers=None``
    lets a local run choose (one process per core, at most four, for a Parquet dataset
    of several pieces where processes fork; see ``automatic_workers``). The
    results are the same either way, ranks global within each peer group, and so are
    the bytes for the same ``columns`` (see :meth:`Scorecards.to_arrow`). With
    ``refuse_empty``, units with no rows are refused (:func:`require_units`) before
    anything is written. ``provenance`` (see :func:`provenance_record`) goes into the file's
    schema metadata, the same whichever way the units were scored. ``options`` say how
    to read an office file (``--sheet``, ``--encoding``, ``--delimiter``, ``--map``);
    ``on_notes`` hears what its reader skipped or rounded. A plain CSV file streams; an
    office CSV file (another encoding or delimiter, title rows, label headers, decimal
    commas) is read whole.
    """
    if scheduler is not None and engine != "dask":
        raise ValueError("a scheduler needs the dask engine")
    show = progress or (lambda total: nullcontext(None))
    if not is_parquet(units) and ((workers or 1) > 1 or engine == "dask"):
        raise ValueError(
            "--workers and --engine dask read a Parquet dataset (a .parquet file or a "
            "directory of them)"
        )

    def in_memory() -> tuple[FactWarning, ...]:
        # NOTE: lazy: see the imports.
        from cchc_rules.reports._parquet import write_parquet

        table, derivation = read_with_records(ruleset, units, records, demo=True, options=options)
        if on_notes is not None and table.notes:
            on_notes(table.source, table.notes)
        if refuse_empty:
            require_units(len(table), table.source)
        with show(len(table)) as advance:
            cards = evaluate_units(ruleset, table, on_progress=advance, derivation=derivation)
        write_parquet(
            [cards.to_arrow(lang=lang, columns=columns)],
            output,
            force=force,
            provenance=provenance,
        )
        return cards.warnings

    def streamed(csv: CsvLayout | None) -> tuple[FactWarning, ...]:
        # NOTE: lazy: only a Parquet dataset or a CSV file is scored in pieces, and the
        # streaming module (processes, threads, Parquet spill) costs every other command its
        # import.
        from cchc_rules.evaluation._stream import evaluate_dataset, plan_pieces

        pieces = plan_pieces(units, csv=csv)
        total = sum(piece.rows for piece in pieces)
        if refuse_empty:
            require_units(total, str(units))
        record_files = _record_files(ruleset, units, records, True) if ruleset.providers else None
        found: list[FactWarning] = []
        with show(total) as advance:
            if engine == "local":
                evaluate_dataset(
                    ruleset,
                    units,
                    output,
                    workers=workers,
                    force=force,
                    lang=lang,
                    columns=columns,
                    on_progress=advance,
                    records=record_files,
                    provenance=provenance,
                    on_warnings=found.extend,
                    csv=csv,
                    pieces=pieces,
                )
                return tuple(found)
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
                workers=workers if workers is not None and workers > 1 else None,
                force=force,
                lang=lang,
                columns=columns,
                on_progress=advance,
                records=record_files,
                provenance=provenance,
                on_warnings=found.extend,
            )
        return tuple(found)

    if not is_parquet(units):
        layout = _streamed_csv(units, ruleset, options) if engine == "local" else None
        if layout is None:
            return in_memory()
        try:
            return streamed(layout)
        except InputError:
            # NOTE: a plain CSV the strict grammar refuses may still be an office file
            # (decimal commas, dd/mm/yyyy, float noise): read whole, the office reader
            # accepts it with notes or refuses it in its own, located words.
            return in_memory()
    return streamed(None)


def _streamed_csv(
    path: Path, ruleset: CompiledRuleset, options: OfficeOptions | None
) -> CsvLayout | None:
    """How to stream a CSV units file, or None when it is to be read whole: not a CSV
    file, or an office file (another encoding or delimiter, title rows, headers that are
    labels, a column map), which the office reader reads whole (docs/decisions/0027)."""
    if path.suffix.lower() != ".csv" or not path.is_file():
        return None
    # NOTE: lazy: see the imports.
    from cchc_rules.inputs._csv_stream import csv_header
    from cchc_rules.inputs._office import CsvLayout, sniff_csv

    options = options or OfficeOptions()
    if options.columns:
        return None
    try:
        office = sniff_csv(path, options.encoding, options.delimiter)
        plain = office.delimiter == "," and office.title_lines == 0 and not office.notes
        if not plain or office.encoding != "utf-8":
            return None
        layout = CsvLayout()
        header = csv_header(path, layout, str(path))
    except (InputError, ValueError, OSError):
        return None  # the whole-file reader names what is wrong
    known = {*UNIT_COLUMNS, *OPTIONAL_UNIT_COLUMNS, *ruleset.model.facts}
    return layout if set(header) <= known else None


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
        # NOTE: lazy: see the imports.
        from cchc_rules.reports._json import json_bytes

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
    # NOTE: lazy: see the imports.
    from cchc_rules.ruleset._diff import diff_rulesets

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
    # NOTE: lazy: see the imports.
    from cchc_rules.reports._catalogue import catalogue_document

    return catalogue_document(registry or default_registry())


# -- documents: the HTML report, unit scorecards, an explanation in a file -------------

ExplainFileFormat = Literal["json", "html", "txt"]
EXPLAIN_SUFFIXES: dict[str, ExplainFileFormat] = {
    ".json": "json",
    ".html": "html",
    ".htm": "html",
    ".txt": "txt",
}
"""``cchc explain -o FILE``: the format each suffix of FILE names."""


def report_html(
    cards: Scorecards | AssessedResults, *, lang: str = "vi", unit_sections: bool | None = None
) -> bytes:
    """The HTML report of ``cards`` (``cchc report``): one self-contained page with the
    summary and charts, a sortable table of every unit, and every unit's scorecard;
    labels in ``lang`` first with the other language beside. A campaign's results
    (:func:`stored_results`) show self / appraised / final and evidence on every line.
    ``unit_sections`` defaults to whether there are at most
    :data:`REPORT_UNIT_SECTIONS_MAX` units (the size of a report of thousands of units
    is in them).

    Needs the ``report`` extra (Jinja2, Altair, vl-convert); without it, a
    :class:`~cchc_rules.errors.CchcError` says how to install it.
    """
    # NOTE: lazy: see the imports.
    from cchc_rules.reports._html import report_html as html_report

    return html_report(cards, lang, unit_sections=unit_sections)


def annex_xlsx(
    cards: Scorecards, lang: str = "vi", *, provenance: Mapping[str, Any] | None = None
) -> bytes:
    """The annex workbook (``evaluate --layout annex``): the annex sheet by peer group, a
    sheet per area with criterion points, and a provenance sheet showing ``provenance``
    (see :func:`provenance_record`; by default, the ruleset's record without input files)."""
    # NOTE: lazy: see the imports.
    from cchc_rules.reports._annex import annex_xlsx as annex_workbook

    record = provenance if provenance is not None else provenance_record(cards.ruleset)
    return annex_workbook(cards, lang, provenance=record)


def provenance_record(
    ruleset: CompiledRuleset,
    *,
    units: Path | None = None,
    records: Mapping[str, Path | str] | None = None,
    period: int | None = None,
    why: str | None = None,
    who: str | None = None,
    options: Mapping[str, str] | None = None,
    registry: KindRegistry | None = None,
) -> dict[str, Any]:
    """The provenance record every output of an evaluation carries.

    It names the ruleset (reference, content hash, title), the ``period`` asked for and
    ``why`` that version (default: it was named), the SHA-256 of the ``units`` file (or
    of every file of a dataset directory) and of each record set the ruleset's fact
    providers read (``records`` over the ruleset's default paths, and the demo records
    for bundled demo units), ``registry``'s plugins (default: the installed ones), the
    cchc-rules and Python versions, ``who`` asked, and the ``options`` that shape the
    bytes written. No time: see :mod:`cchc_rules.results._provenance`.
    """
    # NOTE: lazy: see the imports.
    from cchc_rules.results._provenance import Provenance, input_files

    files = _record_files(ruleset, units, records, True) if ruleset.providers else {}
    return Provenance(
        ruleset=ruleset.ref,
        content_hash=ruleset.content_hash,
        title=ruleset.model.ruleset.title.get("vi"),
        period=period,
        why=why or f"{ruleset.ref} named explicitly",
        inputs=input_files(units, files),
        plugins=(registry or default_registry()).plugins,
        who=who,
        options=options or {},
    ).to_json()


def scorecard_html(cards: Scorecards, unit_id: str, *, lang: str = "vi") -> bytes:
    """One unit's printable scorecard document (what ``cchc scorecards`` writes per unit)."""
    # NOTE: lazy: see the imports.
    from cchc_rules.reports._scorecard_docs import scorecard_documents

    return next(scorecard_documents(cards, lang, [unit_id]))[1]


def write_scorecards(
    results: Scorecards | AssessedResults,
    directory: Path,
    *,
    lang: str = "vi",
    unit_ids: Sequence[str] | None = None,
    pdf: bool = False,
    force: bool = False,
) -> list[Path]:
    """Write ``DIRECTORY/<unit>.html`` (and ``.pdf`` with ``pdf``) for each unit of
    ``unit_ids`` (default: all, in rank order); returns the files written.

    File names are the unit ids with anything but letters, digits, ``-`` and ``_``
    written as ``~XX`` hex (``TTCP-VPC.html``). Every file is checked before any is
    written: an existing one without ``force``, an unknown unit id, or (with ``pdf``)
    WeasyPrint missing stops the run with nothing written. ``directory`` is created if
    it does not exist. A campaign's results (:func:`stored_results`) show self /
    appraised / final and evidence on every line.
    """
    # NOTE: lazy: see the imports.
    from cchc_rules.reports._html_parts import safe_name
    from cchc_rules.reports._pdf import pdf_converter
    from cchc_rules.reports._scorecard_docs import scorecard_documents

    cards = results if isinstance(results, Scorecards) else results.scorecards
    chosen = list(unit_ids) if unit_ids is not None else None
    for unit_id in chosen or ():
        cards.units.position(unit_id)  # an unknown id fails here, before any file
    stems = {
        unit_id: safe_name(unit_id)
        for unit_id in (chosen if chosen is not None else cards.units.unit_ids.to_pylist())
    }
    problems = _clashing_names(stems)
    if directory.exists() and not directory.is_dir():
        problems.append(
            Problem(str(directory), None, "", "not a directory: name a directory for the documents")
        )
    suffixes = (".html", ".pdf") if pdf else (".html",)
    targets = {u: [directory / f"{stem}{s}" for s in suffixes] for u, stem in stems.items()}
    if not force:
        problems += [
            Problem(str(path), None, "", "file exists; pass --force to replace it")
            for paths in targets.values()
            for path in paths
            if path.exists()
        ]
    if problems:
        raise CchcError(problems)
    convert = pdf_converter() if pdf else None
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CchcError(
            [Problem(str(directory), None, "", f"cannot create the directory ({exc.strerror})")]
        ) from exc
    written: list[Path] = []
    for unit_id, html in scorecard_documents(results, lang, chosen):
        html_path, *pdf_path = targets[unit_id]
        write_atomic(html_path, html, force=force)
        written.append(html_path)
        if convert is not None:
            write_atomic(pdf_path[0], convert(html), force=force)
            written.append(pdf_path[0])
    return written


def _clashing_names(stems: Mapping[str, str]) -> list[Problem]:
    """Ids whose files would be one file where case does not count (Windows, macOS)."""
    by_folded: dict[str, list[str]] = {}
    for unit_id, stem in stems.items():
        by_folded.setdefault(stem.casefold(), []).append(unit_id)
    return [
        Problem(
            "scorecards",
            None,
            "unit_id",
            f"units {', '.join(repr(i) for i in ids)} differ only in case: their files "
            "would be one file on Windows and macOS; write them one at a time (--unit)",
        )
        for ids in by_folded.values()
        if len(ids) > 1
    ]


def explain_file_format(path: Path) -> ExplainFileFormat | None:
    """The format ``cchc explain -o`` writes to ``path``, from its suffix (None: unknown)."""
    return EXPLAIN_SUFFIXES.get(path.suffix.lower())


def explanation_document(
    cards: Scorecards, unit_id: str, format: ExplainFileFormat, *, lang: str = "vi"
) -> bytes:
    """One unit's explanation as a file: ``json`` as ``cchc explain --format json``
    prints it, ``html`` as the unit's scorecard document, ``txt`` as the terminal table
    without colour."""
    # NOTE: lazy: see the imports.
    from cchc_rules.reports._json import explanation_json
    from cchc_rules.reports._text import explanation_text

    if format == "html":
        return scorecard_html(cards, unit_id, lang=lang)
    explanation = cards.explain(unit_id, lang=lang)
    if format == "json":
        return explanation_json(explanation)
    return explanation_text(explanation, lang)


# -- the assessment year: campaigns in a store (docs/campaigns.md) ----------------------------


# NOTE: each function imports the store's operations when called, not this module at
# its top: SQLAlchemy and Alembic add most of a second to every start-up (each ``cchc``
# command, each worker process), and only the campaign commands need them.


def open_store(location: str | Path | None = None, *, create: bool = True) -> Store:
    """The store at ``location``: a SQLite file path or a database URL
    (``postgresql://…``); default ``$CCHC_STORE``, else ``cchc.db`` here. Migrated to
    the current schema as needed; a missing SQLite file is created unless ``create`` is
    false."""
    from cchc_rules.store._ops import Store

    return Store(location, create=create)


def open_campaign(
    store: Store,
    ruleset: str,
    units: str | Path,
    *,
    who: str,
    period: int | None = None,
    name: str | None = None,
    why: str | None = None,
    rulesets_dir: Path | None = None,
    registry: KindRegistry | None = None,
    records: Mapping[str, Path | str] | None = None,
) -> CampaignState:
    """Open a campaign (đợt đánh giá) named ``name`` (default ``FAMILY-PERIOD``).

    ``ruleset`` is a family, whose version in force for ``period`` is chosen and the
    reason recorded, or an explicit ``family@version`` (recorded as named). ``units``
    is a units file, or ``demo`` for the ruleset's demo units. A ruleset deriving facts
    from record sets reads them from ``records`` (record set → file), the ruleset's
    default paths and, with ``demo`` units, the demo record sets; each file is stored as
    imported, so the campaign is scored from the store alone.
    """
    from cchc_rules.store._ops import open_campaign

    registry = registry or default_registry()
    if re.fullmatch(NAME, ruleset) and not Path(ruleset).exists():
        if period is None:
            raise CchcError(
                [Problem(ruleset, None, "", "a family needs the campaign's period (--period YEAR)")]
            )
        selection = select_ruleset(ruleset, period, rulesets_dir=rulesets_dir, registry=registry)
        compiled, reason = selection.ruleset, selection.reason
    else:
        compiled = load_ruleset(ruleset, rulesets_dir=rulesets_dir, registry=registry)
        covered = compiled.model.ruleset.periods
        period = period if period is not None else covered[0]
        reason = f"{compiled.ref} named explicitly" + (
            "" if period in covered else f" (it covers {', '.join(map(str, covered))})"
        )
    if str(units) == "demo":
        path = demo_units_path(compiled)
        shown = f"demo/{path.name}"
    else:
        path, shown = Path(units), str(units)
    if not path.exists():
        raise CchcError([Problem(shown, None, "", "file does not exist")])
    # Record sets given to a ruleset that reads none are refused there, not ignored.
    record_files = (
        _record_files(compiled, path, records, str(units) == "demo")
        if compiled.providers or records
        else {}
    )
    return open_campaign(
        store,
        name or f"{compiled.model.ruleset.family}-{period}",
        compiled,
        period=period,
        reason=reason,
        units=path,
        units_name=shown,
        records={
            record_set: (file, _demo_shown(file)) for record_set, file in record_files.items()
        },
        who=who,
        why=why,
    )


def campaign_state(store: Store, name: str) -> CampaignState:
    """A campaign as its events say: state, ruleset, imports, appeals, runs."""
    from cchc_rules.store._ops import campaign_state

    return campaign_state(store, name)


def list_campaigns(store: Store) -> list[CampaignState]:
    """Every campaign of the store, oldest first."""
    from cchc_rules.store._ops import campaign_state

    return [campaign_state(store, name) for name in store.campaigns()]


def _import(
    what: str,
    store: Store,
    name: str,
    file: Path,
    who: str,
    why: str | None,
    dry_run: bool,
    based_on: int | None,
    registry: KindRegistry | None,
) -> ImportResult:
    from cchc_rules.store._ops import import_file

    return import_file(
        store,
        name,
        what,
        Path(file),
        who=who,
        why=why,
        dry_run=dry_run,
        based_on=based_on,
        registry=registry or default_registry(),
    )


def self_assess(
    store: Store,
    name: str,
    file: Path,
    *,
    who: str,
    why: str | None = None,
    dry_run: bool = False,
    based_on: int | None = None,
    registry: KindRegistry | None = None,
    facts: bool = False,
) -> ImportResult:
    """Import units' self-scores and evidence (CSV, XLSX or JSON; docs/campaigns.md).

    With ``facts``, ``file`` is a units file of the units' facts instead (the opening
    units file's formats and columns, and an optional ``campaign`` column): its units'
    facts replace the opening file's, and the engine scores them into self-points
    wherever a unit did not self-assess a criterion in points (docs/decisions/0033); a
    unit breaking an ``error`` check between facts refuses the file.

    Nothing changes on any problem; a file that changes nothing writes nothing;
    ``dry_run`` says what would change. ``based_on`` is the campaign's last event the
    caller saw: another writer since is a ``ConflictError`` (a :class:`CchcError`).
    """
    what = "self_facts" if facts else "self_assessment"
    return _import(what, store, name, file, who, why, dry_run, based_on, registry)


def appraise(
    store: Store,
    name: str,
    file: Path,
    *,
    who: str,
    why: str | None = None,
    dry_run: bool = False,
    based_on: int | None = None,
    registry: KindRegistry | None = None,
) -> ImportResult:
    """Import the appraisal team's points per unit and criterion, each with its reason
    where it differs from the self-score (as :func:`self_assess` imports)."""
    return _import("appraisal", store, name, file, who, why, dry_run, based_on, registry)


def import_survey(
    store: Store,
    name: str,
    file: Path,
    *,
    who: str,
    why: str | None = None,
    dry_run: bool = False,
    based_on: int | None = None,
    registry: KindRegistry | None = None,
) -> ImportResult:
    """Import survey scores (or raw answers, aggregated by the ruleset's rule)."""
    return _import("survey", store, name, file, who, why, dry_run, based_on, registry)


def carry_over(
    store: Store,
    name: str,
    source: str,
    *,
    who: str,
    why: str | None = None,
    dry_run: bool = False,
    registry: KindRegistry | None = None,
) -> CarryOver:
    """Carry last year's evidence references (campaign ``source``) into campaign ``name``,
    each to the criteria its criterion became by lineage (renamed, split, merged)."""
    from cchc_rules.store._ops import carry_over

    return carry_over(
        store,
        name,
        source,
        who=who,
        why=why,
        dry_run=dry_run,
        registry=registry or default_registry(),
    )


def close_collection(store: Store, name: str, *, who: str, why: str | None = None) -> CampaignState:
    """End self-assessment: the campaign is appraised from now on."""
    from cchc_rules.store._ops import close_collection

    return close_collection(store, name, who=who, why=why)


def appeal(store: Store, name: str, unit: str, *, who: str, why: str) -> CampaignState:
    """Record a unit's appeal (phúc khảo); its re-appraisal and ``publish`` follow."""
    from cchc_rules.store._ops import appeal

    return appeal(store, name, unit, who=who, why=why)


def publish(
    store: Store,
    name: str,
    *,
    who: str,
    why: str | None = None,
    registry: KindRegistry | None = None,
) -> RunRecord:
    """Freeze the campaign's scorecards and their provenance as a run; after appeals the
    new run supersedes the published one, which stays."""
    from cchc_rules.store._ops import publish

    return publish(store, name, who=who, why=why, registry=registry or default_registry())


def campaign_scorecards(
    store: Store, name: str, *, run: str | None = None, registry: KindRegistry | None = None
) -> CampaignScorecards:
    """A campaign's scorecards as it stands now, or as run ``run`` froze them; every line
    with self / appraised / final (``.explain(unit)``)."""
    from cchc_rules.store._ops import bind, campaign_state, run_scorecards, score_campaign

    registry = registry or default_registry()
    if run is not None:
        return run_scorecards(store, run, registry)
    return score_campaign(bind(store, campaign_state(store, name), registry))


def export_run(
    store: Store, run: str, *, registry: KindRegistry | None = None
) -> tuple[Scorecards, dict[str, Any]]:
    """A published run's scorecards and its stored provenance record, for the writers
    (``annex_xlsx``, ``reports.scorecards_table``, ``evaluate_to_parquet``'s writer).

    Refused unless recomputing the run from the store gives exactly the published
    results (see ``verify_run``).
    """
    from cchc_rules.store._ops import exported_run

    cards, record = exported_run(store, run, registry or default_registry())
    return cards.scorecards, record


def stored_results(
    store: Store,
    campaign: str,
    *,
    run: str | None = None,
    registry: KindRegistry | None = None,
) -> CampaignScorecards:
    """The results the documents show from the store: ``campaign`` as it stands now, or
    its published ``run`` (refused unless recomputing it gives exactly the published
    results, as ``export_run``; its provenance record as stored goes in every footer)."""
    from cchc_rules.store._ops import campaign_state, exported_run

    registry = registry or default_registry()
    if run is None:
        return campaign_scorecards(store, campaign, registry=registry)
    state = campaign_state(store, campaign)
    if store.run(run).campaign != state.name:
        raise CchcError([Problem(run, None, "", f"not a run of the campaign {state.name!r}")])
    cards, record = exported_run(store, run, registry)
    return cards.published(record)


def diff_runs(store: Store, before: str, after: str) -> RunDiff:
    """Which units and criteria moved between two runs, and why."""
    from cchc_rules.store._ops import diff_runs

    return diff_runs(store, before, after)


def verify_campaign(store: Store, name: str, *, noted: str | None = None) -> ChainCheck:
    """Walk a campaign's hash chain: every event edited, removed or moved is named, and
    the chain head is given to note down outside the store; a head ``noted`` earlier
    must still be in the chain (decision 0032)."""
    from cchc_rules.store._ops import verify_campaign

    return verify_campaign(store, name, noted=noted)


def verify_run(store: Store, run: str, *, registry: KindRegistry | None = None) -> Verification:
    """Recompute a run from the store: identical, or every difference (results, edited
    events, plugins, cchc-rules, Python)."""
    from cchc_rules.store._ops import verify_run

    return verify_run(store, run, registry or default_registry())
