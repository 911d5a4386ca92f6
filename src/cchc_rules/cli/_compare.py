"""``cchc compare``: what-if — the same units scored under two ruleset versions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from cchc_rules.api import compare, demo_units_path
from cchc_rules.cli._app import (
    ForceOpt,
    FormatOpt,
    Lang,
    LangOpt,
    OutputOpt,
    PeriodOpt,
    UnitsArg,
    app,
    choose_format,
    emit,
    fail,
    load,
    state,
)
from cchc_rules.errors import CchcError, Problem
from cchc_rules.reports._reports import (
    comparison_csv,
    comparison_json,
    comparison_tables,
    comparison_xlsx,
)
from cchc_rules.results._compare import SORTS, Sort


@app.command("compare")
def compare_command(
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
) -> None:
    """What if: score the same units under two versions; points, index, grade and rank
    under each, and how the ranking moves. / So sánh kết quả theo hai phiên bản.

    With 'demo', the demo units of AFTER are used (they carry the facts of both).

    Examples:

      cchc compare ttcp@2018 ttcp@2019 demo

      cchc compare ttcp@2018 ttcp@2019 demo --sort movement

      cchc compare ttcp@2019 ttcp@2020-draft units.csv -o what-if.xlsx
    """
    if sort not in SORTS:
        raise typer.BadParameter(f"expected one of {', '.join(SORTS)}", param_hint="--sort")
    chosen_sort: Sort = "rank" if sort == "rank" else "movement" if sort == "movement" else "unit"
    chosen = choose_format(format, output)
    lang_code = lang.value
    try:
        first, second = load(before, period), load(after, period)
        source: Path = Path(units)
        if units == "demo":
            source = demo_units_path(second)
            if not source.exists():
                raise CchcError(
                    [Problem("demo", None, "", f"no demo units are bundled for {second.ref}")]
                )
        comparison = compare(first, second, source)
        if chosen == "table":
            state.out.print(
                Text(
                    f"{first.ref} (sha256 {first.content_hash[:12]}) → "
                    f"{second.ref} (sha256 {second.content_hash[:12]})",
                    style="bold",
                )
            )
            state.out.print(comparison_tables(comparison, lang_code, chosen_sort))
            return
        render = {"csv": comparison_csv, "json": comparison_json, "xlsx": comparison_xlsx}[chosen]
        emit(render(comparison, lang_code, chosen_sort), output, force)
    except CchcError as exc:
        raise fail(exc) from exc
