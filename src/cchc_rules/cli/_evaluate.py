"""``cchc evaluate`` and ``cchc explain``: scoring units and explaining one unit."""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from cchc_rules.cli._app import (
    CsvBomOpt,
    ExplainFormat,
    ForceOpt,
    FormatOpt,
    Invocation,
    Lang,
    LangOpt,
    OutputOpt,
    PeriodOpt,
    RulesetArg,
    UnitsArg,
    app,
    choose_format,
    invocation,
    wants_bom,
)
from cchc_rules.errors import FactCheckError
from cchc_rules.reports._literal import literal

if TYPE_CHECKING:
    from cchc_rules.api import ProgressBar
    from cchc_rules.inputs._fact_checks import FactWarning
    from cchc_rules.inputs._office import OfficeOptions
    from cchc_rules.results._scorecards import OutputColumns, Scorecards
    from cchc_rules.ruleset._compiled import CompiledRuleset

# NOTE: the API, readers and writers are imported inside the commands that use them:
# `cchc --help` builds its help from this module and must not import numpy, pyarrow or
# pydantic (tests/cli/test_startup.py checks).

PROGRESS_THRESHOLD = 20_000
"""Show a progress bar from this many units on: smaller runs finish in a blink."""


class Layout(enum.StrEnum):
    data = "data"
    annex = "annex"


class Engine(enum.StrEnum):
    local = "local"
    dask = "dask"


class Columns(enum.StrEnum):
    summary = "summary"
    areas = "areas"
    criteria = "criteria"
    all = "all"


LayoutOpt = Annotated[
    Layout,
    typer.Option(
        "--layout",
        help="data (one machine-readable table) or annex (XLSX: the secretariat's "
        "annex, by peer group, a sheet per area, provenance).",
    ),
]
ColumnsOpt = Annotated[
    Columns | None,
    typer.Option(
        "--columns",
        help="Which columns a file gets: summary (units and results), areas (and area "
        "subtotals), criteria (and each criterion's points and reason), all. Default: "
        "all, for every file format; the terminal table has its own.",
        show_default=False,
    ),
]
ProvenanceHeaderOpt = Annotated[
    bool,
    typer.Option(
        "--provenance-header",
        help="CSV: put the provenance record above the header as '#' comment lines "
        "(JSON, XLSX and Parquet always carry it).",
    ),
]


def selected_columns(columns: Columns | None) -> OutputColumns:
    """The columns asked for; by default all of them, whatever the file format
    (docs/decisions/0026-output-columns.md)."""
    from cchc_rules.results._scorecards import OUTPUT_COLUMNS

    chosen = (columns or Columns.all).value
    return next(name for name in OUTPUT_COLUMNS if name == chosen)


def units_source(run: Invocation, ruleset: CompiledRuleset, units: str) -> Path:
    """The units file named on the command line; ``demo``: those bundled with ``ruleset``,
    or with the version it extends (said on stderr)."""
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules.api import demo_units

    if units == "demo":
        path, note = demo_units(ruleset, rulesets_dir=run.rulesets_dir)
        if note:
            run.err.print(literal(f"demo: {note}"), soft_wrap=True)
        return path
    return Path(units)


def _progress_bar(console: Console) -> ProgressBar:
    """A progress bar on ``console`` for a number of units, advanced by the callable yielded."""

    @contextmanager
    def bar(total: int) -> Iterator[Callable[[int], None] | None]:
        if total < PROGRESS_THRESHOLD or not console.is_terminal:
            # No live display at all: even an invisible one writes a stray blank line,
            # and a log file or a pipe has no use for a bar.
            yield None
            return
        # NOTE: lazy: see the module's imports; and a run too small for a bar skips it.
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        with progress:
            task = progress.add_task("scoring / chấm điểm", total=total)

            def advance(done: int) -> None:
                progress.update(task, advance=done)

            yield advance

    return bar


RecordsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--records",
        "-r",
        help="A record set the ruleset derives facts from, as NAME=PATH (repeat for each); "
        "overrides the ruleset's default path. With UNITS 'demo' the demo records fill in.",
        show_default=False,
    ),
]


@contextmanager
def refused_in(lang: str) -> Iterator[None]:
    """A refusal by the ruleset's error checks between facts, worded in ``lang``."""
    try:
        yield
    except FactCheckError as exc:
        raise exc.in_language(lang) from None


WARNINGS_SHOWN = 10
"""Warnings the stderr note lists one by one; the rest are counted."""


def note_warnings(run: Invocation, warnings: Sequence[FactWarning], lang: str) -> None:
    """On stderr, the units that break a warning check: the first few, then a count.

    For outputs that are data (CSV, Parquet, the XLSX data table) and carry no place
    for them, and beside the documents that list them all.
    """
    if not warnings:
        return
    word = "cảnh báo" if lang == "vi" else "warning"
    for warning in warnings[:WARNINGS_SHOWN]:
        run.err.print(literal(f"{word}: {warning.located(lang)} [{warning.check}]"))
    if len(warnings) > WARNINGS_SHOWN:
        more = len(warnings) - WARNINGS_SHOWN
        run.err.print(
            f"{word}: " + (f"thêm {more} cảnh báo" if lang == "vi" else f"{more} more warnings"),
            highlight=False,
            markup=False,
        )


def office_options(run: Invocation) -> OfficeOptions:
    """How to read an office file, as the global options (--sheet, --encoding,
    --delimiter, --map) say."""
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules.inputs._office import OfficeOptions, read_column_map

    how = run.units_read
    return OfficeOptions(
        how.sheet,
        how.encoding,
        how.delimiter,
        read_column_map(how.column_map) if how.column_map is not None else {},
    )


def print_notes(run: Invocation, source: str, notes: Sequence[str]) -> None:
    """What the office reader skipped, rounded or assumed, on stderr."""
    for note in notes:
        run.err.print(literal(f"note: {source}: {note}"), soft_wrap=True)


def _evaluate(
    run: Invocation,
    ruleset: CompiledRuleset,
    source: Path,
    records: list[str],
    *,
    demo: bool,
    lang: str,
) -> Scorecards:
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules.api import evaluate_units, read_with_records, require_units
    from cchc_rules.inputs._derive import parse_records_option

    table, derivation = read_with_records(
        ruleset, source, parse_records_option(records), demo=demo, options=office_options(run)
    )
    require_units(len(table), table.source)
    print_notes(run, table.source, table.notes)
    with _progress_bar(run.err)(len(table)) as advance, refused_in(lang):
        return evaluate_units(ruleset, table, on_progress=advance, derivation=derivation)


def _provenance(
    run: Invocation,
    ruleset: CompiledRuleset,
    source: Path,
    records: list[str],
    *,
    who: str | None,
    options: dict[str, str],
) -> dict[str, Any]:
    """The provenance record of this evaluation (see ``api.provenance_record``)."""
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules.api import provenance_record
    from cchc_rules.inputs._derive import parse_records_option

    period, note = run.chosen
    return provenance_record(
        ruleset,
        units=source,
        records=parse_records_option(records),
        period=period,
        why=note,
        who=who,
        options=options,
        registry=run.registry(),
    )


def evaluated(
    run: Invocation, ruleset: str, period: int | None, units: str, records: list[str], lang: str
) -> Scorecards:
    """The scorecards of ``units`` (a file or ``demo``) under the ruleset named; a refusal
    by its checks between facts in ``lang``."""
    compiled = run.load(ruleset, period)
    source = units_source(run, compiled, units)
    return _evaluate(run, compiled, source, records, demo=units == "demo", lang=lang)


@app.command("evaluate")
def evaluate_command(
    ctx: typer.Context,
    ruleset: RulesetArg,
    units: UnitsArg,
    format: FormatOpt = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
    lang: LangOpt = Lang.vi,
    period: PeriodOpt = None,
    records: RecordsOpt = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-w",
            min=1,
            help="Score in this many processes (Parquet in and out); results are identical. "
            "Default: one per core, at most 4, for Parquet units of more than 131,072 rows "
            "or several files, where processes fork (Linux); else one.",
            show_default=False,
        ),
    ] = None,
    engine: Annotated[
        Engine,
        typer.Option(
            "--engine",
            help="local (this machine) or dask (a Dask cluster; needs cchc-rules[dask]).",
        ),
    ] = Engine.local,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Dask scheduler address (tcp://host:8786); default: a local cluster.",
        ),
    ] = None,
    csv_bom: CsvBomOpt = None,
    layout: LayoutOpt = Layout.data,
    columns: ColumnsOpt = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Who runs the evaluation, as the files' provenance record names them.",
            show_default=False,
        ),
    ] = None,
    provenance_header: ProvenanceHeaderOpt = False,
) -> None:
    """Score, grade and rank units under a ruleset. / Chấm điểm, xếp loại, xếp hạng.

    With --output FILE.parquet and Parquet units (a file or a directory of files) or a
    CSV file the units stream through in pieces, so a dataset larger than memory scores
    in bounded memory; the results are in input order, ranks global within each peer
    group.

    Examples:

      cchc evaluate ttcp@2018 demo

      cchc evaluate ttcp@2018 units.csv --output results.xlsx

      cchc evaluate ttcp@2018 units.csv -o annex.xlsx --layout annex

      cchc evaluate rulesets/ttcp/2018.toml units.parquet -f json > results.json

      cchc evaluate ttcp@2018 units/ --output results.parquet --workers 4

      cchc evaluate ttcp@2018 units/ -o results.parquet --engine dask --scheduler tcp://h:8786

      cchc evaluate ttcp@2018 units/ -o results.parquet --columns summary
    """
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules.api import PARQUET_SUFFIXES, annex_xlsx, evaluate_to_parquet, is_parquet
    from cchc_rules.inputs._derive import parse_records_option
    from cchc_rules.reports._terminal import ranked_tables, scorecards_heading, warnings_table

    run = invocation(ctx)
    if by is not None and (not by.strip() or not by.isprintable()):
        raise typer.BadParameter(
            "name who runs the evaluation in printable text, or leave --by out",
            param_hint="--by",
        )
    if scheduler is not None and engine is not Engine.dask:
        raise typer.BadParameter("--scheduler needs --engine dask", param_hint="--scheduler")
    if layout is Layout.annex and choose_format(format, output) != "xlsx":
        raise typer.BadParameter(
            "the annex is a workbook: pass --output FILE.xlsx", param_hint="--layout"
        )
    parquet = output is not None and format is None and output.suffix.lower() in PARQUET_SUFFIXES
    several = workers is not None and workers > 1
    if (several or engine is Engine.dask) and not parquet:
        raise typer.BadParameter(
            "--workers and --engine dask write Parquet: pass --output FILE.parquet",
            param_hint="--output",
        )
    compiled = run.load(ruleset, period)
    source = units_source(run, compiled, units)

    def provenance() -> dict[str, Any]:
        # Only files carry the record: the terminal table neither shows it nor pays for
        # hashing the inputs and asking the installed versions.
        return _provenance(
            run,
            compiled,
            source,
            records or [],
            who=by,
            options={
                "lang": lang.value,
                "columns": (columns or Columns.all).value,
                "layout": layout.value,
            },
        )

    if parquet:
        assert output is not None
        if (several or engine is Engine.dask) and not is_parquet(source):
            raise typer.BadParameter(
                "--workers and --engine dask read a Parquet dataset (a .parquet file or a "
                "directory of them)",
                param_hint="UNITS",
            )
        with refused_in(lang.value):
            warnings = evaluate_to_parquet(
                compiled,
                source,
                output,
                force=force,
                lang=lang.value,
                columns=selected_columns(columns),
                workers=workers,
                engine=engine.value,
                scheduler=scheduler,
                records=parse_records_option(records or []),
                progress=_progress_bar(run.err),
                refuse_empty=True,
                provenance=provenance(),
                options=office_options(run),
                on_notes=functools.partial(print_notes, run),
            )
        run.wrote(output)
        note_warnings(run, warnings, lang.value)
        return
    chosen = choose_format(format, output)
    if chosen == "table" and columns is not None:
        # NOTE: refused, not ignored: the terminal table is made for reading, not a
        # column selection, and a silently ignored option hides a mistyped --format.
        raise typer.BadParameter(
            "--columns selects the columns of a file: pass --format csv|json|xlsx or --output FILE",
            param_hint="--columns",
        )
    cards = _evaluate(run, compiled, source, records or [], demo=units == "demo", lang=lang.value)
    if layout is Layout.annex:
        run.emit(annex_xlsx(cards, lang.value, provenance=provenance()), output, force)
        note_warnings(run, cards.warnings, lang.value)
        return
    if chosen == "table":
        run.out.print(scorecards_heading(cards, lang.value))
        run.out.print(ranked_tables(cards, lang.value))
        listed = warnings_table(cards, lang.value)
        if listed is not None:
            run.out.print(listed)
        return
    emit_table(
        run,
        cards,
        chosen,
        lang.value,
        selected_columns(columns),
        provenance(),
        csv_bom=wants_bom(csv_bom, output),
        provenance_header=provenance_header,
        output=output,
        force=force,
    )
    note_warnings(run, cards.warnings, lang.value)


def emit_table(
    run: Invocation,
    cards: Scorecards,
    format: str,
    lang: str,
    columns: OutputColumns,
    provenance: dict[str, Any],
    *,
    csv_bom: bool,
    provenance_header: bool,
    output: Path | None,
    force: bool,
) -> None:
    """The ranked scorecards as a CSV, JSON or XLSX table carrying ``provenance``."""
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules.reports._formats import table_bytes
    from cchc_rules.reports._table import scorecards_table

    data = table_bytes(
        scorecards_table(cards, lang, columns, provenance=provenance),
        format,
        csv_bom=csv_bom,
        provenance_header=provenance_header,
    )
    run.emit(data, output, force)


@app.command()
def explain(
    ctx: typer.Context,
    ruleset: RulesetArg,
    units: UnitsArg,
    unit_id: Annotated[
        str,
        typer.Argument(
            help="The unit to explain (its unit_id).", metavar="UNIT_ID", show_default=False
        ),
    ],
    format: Annotated[
        ExplainFormat,
        typer.Option("--format", "-f", help="table (terminal) or json."),
    ] = ExplainFormat.table,
    lang: LangOpt = Lang.vi,
    period: PeriodOpt = None,
    records: RecordsOpt = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to this file (atomically): .json as --format json, .html as the "
            "unit's scorecard document, .txt as the table without colour.",
            show_default=False,
        ),
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Why one unit got its score: every criterion's points, reason, and what would raise it.

    Giải thích điểm của một đơn vị theo từng tiêu chí.

    Examples:

      cchc explain ttcp@2018 demo TTCP-VPTT

      cchc explain ttcp@2018 units.csv TTCP-VPC --lang en

      cchc explain ttcp@2018 demo TTCP-VPC --format json > TTCP-VPC.json

      cchc explain ttcp@2018 demo TTCP-VPC -o TTCP-VPC.html
    """
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules.api import EXPLAIN_SUFFIXES, explain_file_format, explanation_document
    from cchc_rules.reports._json import explanation_json
    from cchc_rules.reports._terminal import explanation_table

    run = invocation(ctx)
    chosen = None if output is None else explain_file_format(output)
    if output is not None:
        if chosen is None:
            raise typer.BadParameter(
                f"cannot tell the format from {output.name!r}; name the file "
                f"{', '.join(EXPLAIN_SUFFIXES)}",
                param_hint="--output",
            )
        if format is ExplainFormat.json and chosen != "json":
            raise typer.BadParameter(
                f"--format json writes JSON, but {output.name!r} names {chosen}",
                param_hint="--output",
            )
    cards = evaluated(run, ruleset, period, units, records or [], lang.value)
    if chosen is not None:
        run.emit(explanation_document(cards, unit_id, chosen, lang=lang.value), output, force)
        return
    explanation = cards.explain(unit_id, lang=lang.value)
    if format is ExplainFormat.json:
        run.emit(explanation_json(explanation))
    else:
        run.out.print(explanation_table(explanation, lang.value))
