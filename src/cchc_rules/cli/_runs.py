"""``cchc runs …``: published runs — list, show, diff, verify, export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cchc_rules.cli._app import (
    EXIT_INVALID,
    CsvBomOpt,
    ForceOpt,
    Lang,
    LangOpt,
    app,
    invocation,
    wants_bom,
)
from cchc_rules.cli._campaign import FormatOpt, ShowFormat, StoreOpt, opened
from cchc_rules.cli._evaluate import (
    ColumnsOpt,
    Layout,
    LayoutOpt,
    ProvenanceHeaderOpt,
    emit_table,
    selected_columns,
)

# NOTE: the API, readers and writers are imported inside the commands that use them:
# `cchc --help` builds its help from this module and must not import numpy, pyarrow or
# pydantic (tests/cli/test_startup.py checks).

runs_app = typer.Typer(
    help="Published runs: list, show, diff, verify, export. / Kết quả đã công bố.\n\n"
    "Example:  cchc runs verify ttcp-2019/1",
    no_args_is_help=True,
)
app.add_typer(runs_app, name="runs")

RunArg = Annotated[
    str, typer.Argument(help="A run: CAMPAIGN/N (e.g. ttcp-2019/1).", show_default=False)
]


@runs_app.command("list")
def list_command(
    ctx: typer.Context,
    campaign: Annotated[
        str | None, typer.Argument(help="Only this campaign's runs.", show_default=False)
    ] = None,
    store: StoreOpt = None,
) -> None:
    """Every published run, oldest first, with what it supersedes."""
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules import api
    from cchc_rules.store._render import runs_table

    run = invocation(ctx)
    with opened(store) as db:
        if campaign is not None:
            api.campaign_state(db, campaign)  # an unknown campaign is an error, not "none"
        records = db.runs(campaign)
    run.out.print(runs_table(records))


@runs_app.command("show")
def show_command(
    ctx: typer.Context, run_id: RunArg, format: FormatOpt = ShowFormat.table, store: StoreOpt = None
) -> None:
    """A run's provenance (ruleset and why, inputs' SHA-256, plugins, versions, who,
    when) and results."""
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules.reports._json import json_bytes
    from cchc_rules.store._render import run_document, run_table

    run = invocation(ctx)
    with opened(store) as db:
        record = db.run(run_id)
    if format is ShowFormat.json:
        run.emit(json_bytes(run_document(record)))
    else:
        run.out.print(run_table(record))


@runs_app.command("diff")
def diff_command(
    ctx: typer.Context,
    before: RunArg,
    after: RunArg,
    format: FormatOpt = ShowFormat.table,
    store: StoreOpt = None,
) -> None:
    """Which units and criteria moved between two runs, and why."""
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules import api
    from cchc_rules.reports._json import json_bytes
    from cchc_rules.store._render import diff_table

    run = invocation(ctx)
    with opened(store) as db:
        diff = api.diff_runs(db, before, after)
    if format is ShowFormat.json:
        run.emit(json_bytes(diff.to_json()))
    else:
        run.out.print(diff_table(diff))


@runs_app.command("verify")
def verify_command(ctx: typer.Context, run_id: RunArg, store: StoreOpt = None) -> None:
    """Recompute a run from the store: "identical", or every difference (exit code 1)."""
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules import api
    from cchc_rules.store._render import verification_lines

    run = invocation(ctx)
    with opened(store) as db:
        result = api.verify_run(db, run_id, registry=run.registry())
    for line in verification_lines(result):
        run.out.print(line, highlight=False, markup=False, soft_wrap=True)
    if not result.identical:
        raise typer.Exit(EXIT_INVALID)


@runs_app.command("export")
def export_command(
    ctx: typer.Context,
    run_id: RunArg,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="The file to write (atomically): .xlsx, .csv, .json or .parquet.",
            show_default=False,
        ),
    ],
    layout: LayoutOpt = Layout.data,
    columns: ColumnsOpt = None,
    lang: LangOpt = Lang.vi,
    force: ForceOpt = False,
    csv_bom: CsvBomOpt = None,
    provenance_header: ProvenanceHeaderOpt = False,
    store: StoreOpt = None,
) -> None:
    """Write a published run as a file: the annex, or the data table, with the run's
    provenance as stored. / Xuất kết quả đã công bố: phụ lục hoặc bảng dữ liệu.

    The run is recomputed from the store first, and refused unless that gives exactly
    the published results, so the file shows the numbers that were published.

    Examples:

      cchc runs export ttcp-2019/2 -o phu-luc.xlsx --layout annex

      cchc runs export ttcp-2019/2 -o ket-qua.csv --columns summary
    """
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules import api
    from cchc_rules.reports._parquet import write_parquet

    run = invocation(ctx)
    from cchc_rules.reports._formats import FILE_FORMATS, format_from_suffix

    parquet = output.suffix.lower() in api.PARQUET_SUFFIXES
    chosen = "parquet" if parquet else format_from_suffix(output, FILE_FORMATS)
    if chosen is None:
        raise typer.BadParameter(
            f"cannot tell the format from {output.name!r}; name the file .xlsx, .csv, "
            ".json or .parquet",
            param_hint="--output",
        )
    if layout is Layout.annex and chosen != "xlsx":
        raise typer.BadParameter(
            "the annex is a workbook: pass --output FILE.xlsx", param_hint="--layout"
        )
    selected = selected_columns(columns)
    with opened(store) as db:
        cards, record = api.export_run(db, run_id, registry=run.registry())
    if layout is Layout.annex:
        run.emit(api.annex_xlsx(cards, lang.value, provenance=record), output, force)
    elif parquet:
        table = cards.to_arrow(lang=lang.value, columns=selected)
        write_parquet([table], output, force=force, provenance=record)
        run.wrote(output)
    else:
        emit_table(
            run,
            cards,
            chosen,
            lang.value,
            selected,
            record,
            csv_bom=wants_bom(csv_bom, output),
            provenance_header=provenance_header,
            output=output,
            force=force,
        )
