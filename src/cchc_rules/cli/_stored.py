"""``cchc campaign report|scorecards [--run RUN]``: the HTML report and the unit
scorecards from the store, every line with self / appraised / final."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cchc_rules.cli._app import ForceOpt, Lang, LangOpt, invocation
from cchc_rules.cli._campaign import CampaignArg, StoreOpt, campaign_app, opened
from cchc_rules.cli._report import (
    HTML_SUFFIXES,
    PdfOpt,
    ReportOutput,
    ScorecardsOutput,
    UnitOpt,
    UnitSectionsOpt,
    with_sections,
)

# NOTE: the API is imported inside the commands: `cchc --help` must not import numpy,
# pyarrow, pydantic or the store (tests/cli/test_startup.py checks).


def _report(
    ctx: typer.Context,
    store: str | None,
    output: Path,
    *,
    run_id: str | None,
    campaign: str,
    force: bool,
    lang: Lang,
    unit_sections: bool | None,
) -> None:
    from cchc_rules import api

    if output.suffix.lower() not in HTML_SUFFIXES:
        raise typer.BadParameter(
            f"the report is HTML: name the file .html (got {output.name!r})",
            param_hint="--output",
        )
    run = invocation(ctx)
    with opened(store) as db:
        results = api.stored_results(db, campaign, run=run_id, registry=run.registry())
    sections = with_sections(run, len(results.scorecards), unit_sections)
    page = api.report_html(results, lang=lang.value, unit_sections=sections)
    run.emit(page, output, force)


def _scorecards(
    ctx: typer.Context,
    store: str | None,
    output: Path,
    *,
    run_id: str | None,
    campaign: str,
    unit: list[str] | None,
    pdf: bool,
    force: bool,
    lang: Lang,
) -> None:
    from cchc_rules import api

    run = invocation(ctx)
    with opened(store) as db:
        results = api.stored_results(db, campaign, run=run_id, registry=run.registry())
    written = api.write_scorecards(
        results, output, lang=lang.value, unit_ids=unit, pdf=pdf, force=force
    )
    run.err.print(f"wrote {len(written)} files to {output}", highlight=False, markup=False)


RunOpt = Annotated[
    str | None,
    typer.Option(
        "--run",
        help="A published run of the campaign (CAMPAIGN/N), with its provenance in the "
        "footer; default: the campaign as it stands now.",
        show_default=False,
    ),
]


@campaign_app.command("report")
def campaign_report_command(
    ctx: typer.Context,
    campaign: CampaignArg,
    output: ReportOutput,
    run_id: RunOpt = None,
    force: ForceOpt = False,
    lang: LangOpt = Lang.vi,
    unit_sections: UnitSectionsOpt = None,
    store: StoreOpt = None,
) -> None:
    """The HTML report of a campaign, every unit's lines with self-score, appraisal, final
    points and evidence. / Báo cáo HTML của đợt đánh giá.

    With --run, the published run (refused unless recomputing it from the store gives
    exactly the published results), its provenance in the footer.

    Examples:

      cchc campaign report ttcp-2019 --run ttcp-2019/1 -o bao-cao.html

      cchc campaign report ttcp-2019 -o du-thao.html
    """
    _report(
        ctx,
        store,
        output,
        run_id=run_id,
        campaign=campaign,
        force=force,
        lang=lang,
        unit_sections=unit_sections,
    )


@campaign_app.command("scorecards")
def campaign_scorecards_command(
    ctx: typer.Context,
    campaign: CampaignArg,
    output: ScorecardsOutput,
    run_id: RunOpt = None,
    unit: UnitOpt = None,
    pdf: PdfOpt = False,
    force: ForceOpt = False,
    lang: LangOpt = Lang.vi,
    store: StoreOpt = None,
) -> None:
    """One scorecard per unit of a campaign (or of its published --run), each line with
    self-score, appraisal, final points and evidence. / Phiếu kết quả từng đơn vị.

    Example:  cchc campaign scorecards ttcp-2019 --run ttcp-2019/2 -o phieu/ --pdf
    """
    _scorecards(
        ctx,
        store,
        output,
        run_id=run_id,
        campaign=campaign,
        unit=unit,
        pdf=pdf,
        force=force,
        lang=lang,
    )
