"""``cchc report`` and ``cchc scorecards``: the HTML report, and one document per unit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cchc_rules.cli._app import (
    ForceOpt,
    Invocation,
    Lang,
    LangOpt,
    PeriodOpt,
    RulesetArg,
    UnitsArg,
    app,
    invocation,
)
from cchc_rules.cli._evaluate import RecordsOpt, evaluated, note_warnings
from cchc_rules.reports._limits import UNIT_SECTIONS_MAX as REPORT_UNIT_SECTIONS_MAX

# NOTE: the API, readers and writers are imported inside the commands that use them:
# `cchc --help` builds its help from this module and must not import numpy, pyarrow or
# pydantic (tests/cli/test_startup.py checks).

HTML_SUFFIXES = (".html", ".htm")


def _output(help: str, file_okay: bool = True) -> Any:
    """The required ``--output`` of a document command."""
    return typer.Option("--output", "-o", help=help, file_okay=file_okay, show_default=False)


ReportOutput = Annotated[Path, _output("The report file (.html), written atomically.")]
ScorecardsOutput = Annotated[
    Path, _output("The directory to write DIR/<unit_id>.html in (created if missing).", False)
]
UnitSectionsOpt = Annotated[
    bool | None,
    typer.Option(
        "--unit-sections/--no-unit-sections",
        help="Every unit's scorecard in the report; default: up to "
        f"{REPORT_UNIT_SECTIONS_MAX:,} units (cchc scorecards writes one file per unit).",
        show_default=False,
    ),
]
UnitOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--unit",
        "-u",
        help="Only this unit (its unit_id; repeat for each). Default: every unit.",
        show_default=False,
    ),
]
PdfOpt = Annotated[
    bool,
    typer.Option("--pdf", help="Also write DIR/<unit_id>.pdf (needs WeasyPrint)."),
]


@app.command("report")
def report_command(
    ctx: typer.Context,
    ruleset: RulesetArg,
    units: UnitsArg,
    output: ReportOutput,
    force: ForceOpt = False,
    lang: LangOpt = Lang.vi,
    period: PeriodOpt = None,
    records: RecordsOpt = None,
    unit_sections: UnitSectionsOpt = None,
) -> None:
    """The HTML report: summary and charts, every unit in a sortable table, and every
    unit's scorecard, in one file that opens offline. / Báo cáo kết quả dạng HTML.

    Needs the report extra: pip install 'cchc-rules[report]'.

    Examples:

      cchc report ttcp@2018 demo -o report.html

      cchc report ttcp@2018 units.csv -o report.html --lang en --force

      cchc report ttcp@2018 units.parquet -o summary.html --no-unit-sections
    """
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules.api import report_html

    if output.suffix.lower() not in HTML_SUFFIXES:
        raise typer.BadParameter(
            f"the report is HTML: name the file .html (got {output.name!r})",
            param_hint="--output",
        )
    run = invocation(ctx)
    cards = evaluated(run, ruleset, period, units, records or [], lang.value)
    sections = with_sections(run, len(cards), unit_sections)
    run.emit(report_html(cards, lang=lang.value, unit_sections=sections), output, force)
    note_warnings(run, cards.warnings, lang.value)


def with_sections(run: Invocation, count: int, unit_sections: bool | None) -> bool:
    """Whether a report of ``count`` units gets its unit sections; said on stderr when
    they are left out by default."""
    if unit_sections is not None:
        return unit_sections
    if count <= REPORT_UNIT_SECTIONS_MAX:
        return True
    run.err.print(
        f"report: {count:,} units, more than {REPORT_UNIT_SECTIONS_MAX:,}: the unit "
        "sections are left out (--unit-sections puts them in; cchc scorecards writes "
        "one document per unit)",
        highlight=False,
        markup=False,
    )
    return False


@app.command("scorecards")
def scorecards_command(
    ctx: typer.Context,
    ruleset: RulesetArg,
    units: UnitsArg,
    output: ScorecardsOutput,
    unit: UnitOpt = None,
    pdf: PdfOpt = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace documents that already exist.")
    ] = False,
    lang: LangOpt = Lang.vi,
    period: PeriodOpt = None,
    records: RecordsOpt = None,
) -> None:
    """One printable scorecard per unit, to send to its head: result, rank, every
    criterion's reason and what would raise it. / Phiếu kết quả của từng đơn vị.

    Needs the report extra (pip install 'cchc-rules[report]'); --pdf also the pdf extra
    (pip install 'cchc-rules[pdf]').

    Examples:

      cchc scorecards ttcp@2018 demo -o scorecards/

      cchc scorecards ttcp@2018 demo -o scorecards/ --unit TTCP-VPC --pdf
    """
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules.api import write_scorecards

    run = invocation(ctx)
    cards = evaluated(run, ruleset, period, units, records or [], lang.value)
    written = write_scorecards(cards, output, lang=lang.value, unit_ids=unit, pdf=pdf, force=force)
    note_warnings(run, cards.warnings, lang.value)
    run.err.print(f"wrote {len(written)} files to {output}", highlight=False, markup=False)
