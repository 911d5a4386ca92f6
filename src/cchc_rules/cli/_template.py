"""``cchc template``: the data-entry workbook of a ruleset, for offices to fill in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cchc_rules.cli._app import ForceOpt, Lang, LangOpt, PeriodOpt, RulesetArg, app, invocation


@app.command("template")
def template_command(
    ctx: typer.Context,
    ruleset: RulesetArg,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="The workbook to write (.xlsx), atomically."),
    ],
    units: Annotated[
        Path | None,
        typer.Option(
            "--units",
            help="A roster (units file) whose units pre-fill the rows; only its unit "
            "columns are read.",
            show_default=False,
        ),
    ] = None,
    lang: LangOpt = Lang.vi,
    period: PeriodOpt = None,
    force: ForceOpt = False,
) -> None:
    """The data-entry workbook for a ruleset. / Mẫu nhập số liệu của bộ chỉ số.

    An instructions sheet, then one row per unit with a column per fact, checked by
    Excel as it is typed; `cchc evaluate` reads the filled workbook back.

    Examples:

      cchc template ttcp@2018 -o form.xlsx

      cchc template ttcp@2018 -o form.xlsx --units roster.csv --lang en
    """
    # NOTE: lazy: `cchc --help` must not import the API (tests/cli/test_startup.py).
    from cchc_rules.api import data_entry_form

    run = invocation(ctx)
    compiled = run.load(ruleset, period)
    run.emit(data_entry_form(compiled, units=units, lang=lang.value), output, force)
