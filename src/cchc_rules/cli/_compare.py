"""``cchc compare``: what-if — the same units scored under two ruleset versions."""

from __future__ import annotations

from typing import Annotated

import typer

from cchc_rules.cli._app import (
    CsvBomOpt,
    ForceOpt,
    FormatOpt,
    Lang,
    LangOpt,
    OutputOpt,
    PeriodOpt,
    UnitsArg,
    app,
    choose_format,
    invocation,
    wants_bom,
)
from cchc_rules.cli._evaluate import RecordsOpt, units_source

# NOTE: the API, readers and writers are imported inside the commands that use them:
# `cchc --help` builds its help from this module and must not import numpy, pyarrow or
# pydantic (tests/cli/test_startup.py checks).


@app.command("compare")
def compare_command(
    ctx: typer.Context,
    before: Annotated[
        str,
        typer.Argument(help="The version in use (e.g. ttcp@2018).", metavar="BEFORE"),
    ],
    after: Annotated[
        str,
        typer.Argument(help="The version to try (e.g. a draft amendment).", metavar="AFTER"),
    ],
    units: UnitsArg,
    sort: Annotated[
        str,
        typer.Option("--sort", "-s", help="rank (by AFTER, per peer group), movement, or unit."),
    ] = "rank",
    format: FormatOpt = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
    period: PeriodOpt = None,
    lang: LangOpt = Lang.vi,
    records: RecordsOpt = None,
    csv_bom: CsvBomOpt = None,
) -> None:
    """What if: score the same units under two versions; points, index, grade and rank
    under each, and how the ranking moves. / So sánh kết quả theo hai phiên bản.

    With 'demo', the demo units of AFTER are used (they carry the facts of both), or
    those of the version AFTER extends when none are bundled for it. A version that
    derives facts from record sets reads them from --records NAME=PATH.

    Examples:

      cchc compare ttcp@2018 ttcp@2019 demo

      cchc compare ttcp@2018 ttcp@2019 demo --sort movement

      cchc compare ttcp@2019 ttcp@2020-draft units.csv -o what-if.xlsx
    """
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules.api import compare, require_units
    from cchc_rules.inputs._derive import parse_records_option
    from cchc_rules.reports._formats import table_bytes
    from cchc_rules.reports._table import comparison_table
    from cchc_rules.reports._terminal import comparison_heading, comparison_tables
    from cchc_rules.results._compare import SORTS, Sort

    if sort not in SORTS:
        raise typer.BadParameter(f"expected one of {', '.join(SORTS)}", param_hint="--sort")
    chosen_sort: Sort = "rank" if sort == "rank" else "movement" if sort == "movement" else "unit"
    chosen = choose_format(format, output)
    lang_code = lang.value
    run = invocation(ctx)
    first, second = run.load(before, period), run.load(after, period)
    comparison = compare(
        first,
        second,
        units_source(run, second, units),
        records=parse_records_option(records or []),
    )
    require_units(len(comparison.after.units), comparison.after.units.source)
    if chosen == "table":
        run.out.print(comparison_heading(comparison))
        run.out.print(comparison_tables(comparison, lang_code, chosen_sort))
        return
    table = comparison_table(comparison, lang_code, chosen_sort)
    run.emit(table_bytes(table, chosen, csv_bom=wants_bom(csv_bom, output)), output, force)
