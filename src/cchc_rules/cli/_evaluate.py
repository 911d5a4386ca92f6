"""``cchc evaluate`` and ``cchc explain``: scoring units and explaining one unit."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import pyarrow.parquet as pq
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from cchc_rules.api import demo_units_path, evaluate_units, read_with_records
from cchc_rules.cli._app import (
    PROGRESS_THRESHOLD,
    ExplainFormat,
    ForceOpt,
    FormatOpt,
    Lang,
    LangOpt,
    OutputOpt,
    PeriodOpt,
    RulesetArg,
    UnitsArg,
    app,
    choose_format,
    emit,
    fail,
    load,
    state,
)
from cchc_rules.errors import CchcError, Problem
from cchc_rules.evaluation._stream import dataset_files, evaluate_dataset, write_parquet
from cchc_rules.inputs._derive import parse_records_option, record_paths
from cchc_rules.reports._reports import (
    explanation_json,
    explanation_table,
    ranked_tables,
    scorecards_csv,
    scorecards_json,
    scorecards_xlsx,
)
from cchc_rules.results._scorecards import Scorecards
from cchc_rules.ruleset._compiled import CompiledRuleset

PARQUET_SUFFIXES = (".parquet", ".pq")


class Engine(enum.StrEnum):
    local = "local"
    dask = "dask"


def _units_source(ruleset: CompiledRuleset, units: str) -> Path:
    if units == "demo":
        path = demo_units_path(ruleset)
        if not path.exists():
            raise CchcError(
                [Problem("demo", None, "", f"no demo units are bundled for {ruleset.ref}")]
            )
        return path
    return Path(units)


@contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for ``total`` units, advanced by the callable yielded."""
    if total < PROGRESS_THRESHOLD or not state.err.is_terminal:
        # No live display at all: even an invisible one writes a stray blank line, and
        # a log file or a pipe has no use for a bar.
        yield None
        return
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=state.err,
        transient=True,
    )
    with progress:
        task = progress.add_task("scoring / chấm điểm", total=total)

        def advance(done: int) -> None:
            progress.update(task, advance=done)

        yield advance


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


def _evaluate(ruleset: CompiledRuleset, units: str, records: list[str]) -> Scorecards:
    table, derivation = read_with_records(
        ruleset,
        _units_source(ruleset, units),
        parse_records_option(records),
        demo=units == "demo",
    )
    with _progress(len(table)) as advance:
        return evaluate_units(ruleset, table, on_progress=advance, derivation=derivation)


def _is_parquet(path: Path) -> bool:
    return path.is_dir() or path.suffix.lower() in PARQUET_SUFFIXES


def _evaluate_to_parquet(
    ruleset: CompiledRuleset,
    units: str,
    output: Path,
    *,
    force: bool,
    lang: str,
    workers: int,
    engine: Engine,
    scheduler: str | None,
    records: list[str],
) -> None:
    source = _units_source(ruleset, units)
    if not _is_parquet(source):
        if workers > 1 or engine is Engine.dask:
            raise typer.BadParameter(
                "--workers and --engine dask read a Parquet dataset (a .parquet file or a "
                "directory of them)",
                param_hint="UNITS",
            )
        cards = _evaluate(ruleset, units, records)
        write_parquet([cards.to_arrow(lang=lang)], output, force=force)
        return
    total = sum(pq.ParquetFile(f).metadata.num_rows for f in dataset_files(source))
    record_files = (
        record_paths(ruleset, parse_records_option(records), demo=units == "demo")
        if ruleset.providers
        else None
    )
    with _progress(total) as advance:
        if engine is Engine.local:
            evaluate_dataset(
                ruleset,
                source,
                output,
                workers=workers,
                force=force,
                lang=lang,
                on_progress=advance,
                records=record_files,
            )
            return
        try:
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
            source,
            output,
            scheduler=scheduler,
            workers=workers if workers > 1 else None,
            force=force,
            lang=lang,
            on_progress=advance,
            records=record_files,
        )


@app.command("evaluate")
def evaluate_command(
    ruleset: RulesetArg,
    units: UnitsArg,
    format: FormatOpt = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
    lang: LangOpt = Lang.vi,
    period: PeriodOpt = None,
    records: RecordsOpt = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            "-w",
            min=1,
            help="Score in this many processes (Parquet in and out); results are identical.",
        ),
    ] = 1,
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
) -> None:
    """Score, grade and rank units under a ruleset. / Chấm điểm, xếp loại, xếp hạng.

    With --output FILE.parquet and Parquet units (a file or a directory of files) the
    units stream through in pieces, so a dataset larger than memory scores in bounded
    memory; the results are in input order, ranks global within each peer group.

    Examples:

      cchc evaluate ttcp@2018 demo

      cchc evaluate ttcp@2018 units.csv --output results.xlsx

      cchc evaluate rulesets/ttcp/2018.toml units.parquet -f json > results.json

      cchc evaluate ttcp@2018 units/ --output results.parquet --workers 4

      cchc evaluate ttcp@2018 units/ -o results.parquet --engine dask --scheduler tcp://h:8786
    """
    lang_code = lang.value
    if scheduler is not None and engine is not Engine.dask:
        raise typer.BadParameter("--scheduler needs --engine dask", param_hint="--scheduler")
    parquet = output is not None and format is None and output.suffix.lower() in PARQUET_SUFFIXES
    if (workers > 1 or engine is Engine.dask) and not parquet:
        raise typer.BadParameter(
            "--workers and --engine dask write Parquet: pass --output FILE.parquet",
            param_hint="--output",
        )
    if parquet:
        assert output is not None
        try:
            _evaluate_to_parquet(
                load(ruleset, period),
                units,
                output,
                force=force,
                lang=lang_code,
                workers=workers,
                engine=engine,
                scheduler=scheduler,
                records=records or [],
            )
        except CchcError as exc:
            raise fail(exc) from exc
        state.err.print(f"wrote {output}", highlight=False)
        return
    chosen = choose_format(format, output)
    try:
        compiled = load(ruleset, period)
        cards = _evaluate(compiled, units, records or [])
        if chosen == "table":
            meta = compiled.model.ruleset
            state.out.print(Text(meta.title.get(lang_code), style="bold"))
            state.out.print(
                Text(
                    f"{compiled.ref} · {meta.legal_basis.decision} "
                    f"({meta.legal_basis.date:%d/%m/%Y}) · sha256 {compiled.content_hash[:12]}",
                    style="dim",
                )
            )
            state.out.print(ranked_tables(cards, lang_code))
            return
        render = {"csv": scorecards_csv, "json": scorecards_json, "xlsx": scorecards_xlsx}[chosen]
        emit(render(cards, lang_code), output, force)
    except CchcError as exc:
        raise fail(exc) from exc


@app.command()
def explain(
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
) -> None:
    """Why one unit got its score: every criterion's points, reason, and what would raise it.

    Giải thích điểm của một đơn vị theo từng tiêu chí.

    Examples:

      cchc explain ttcp@2018 demo TTCP-VPTT

      cchc explain ttcp@2018 units.csv TTCP-VPC --lang en

      cchc explain ttcp@2018 demo TTCP-VPC --format json > TTCP-VPC.json
    """
    try:
        compiled = load(ruleset, period)
        cards = _evaluate(compiled, units, records or [])
        explanation = cards.explain(unit_id, lang=lang.value)
    except CchcError as exc:
        raise fail(exc) from exc
    if format is ExplainFormat.json:
        emit(explanation_json(explanation), None, False)
    else:
        state.out.print(explanation_table(explanation, lang.value))
