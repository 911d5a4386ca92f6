"""``cchc campaign …`` (and ``cchc appraise``): the assessment year in a store."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cchc_rules.cli._app import EXIT_INVALID, Invocation, Lang, LangOpt, app, invocation
from cchc_rules.cli._evaluate import RecordsOpt
from cchc_rules.store._location import STORE_ENV

if TYPE_CHECKING:
    # Types only: the store's database code loads when a command opens a store.
    from cchc_rules.store._ops import ImportResult, Store

# NOTE: the API, readers and writers are imported inside the commands that use them:
# `cchc --help` builds its help from this module and must not import numpy, pyarrow or
# pydantic (tests/cli/test_startup.py checks).

campaign_app = typer.Typer(
    help="The assessment year: open a campaign, import self-assessments, surveys and "
    "appraisals, publish, appeal. / Đợt đánh giá.\n\n"
    "Example:  cchc campaign open ttcp --period 2019 --units demo --who 'Thư ký'",
    no_args_is_help=True,
)
app.add_typer(campaign_app, name="campaign")


class ShowFormat(enum.StrEnum):
    table = "table"
    json = "json"


StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        "-s",
        envvar=STORE_ENV,
        help="The store: a SQLite file (default cchc.db here) or a database URL "
        "(postgresql://user@host/db).",
        show_default=False,
    ),
]
WhoOpt = Annotated[
    str, typer.Option("--who", help="Who makes the change (recorded with it).", show_default=False)
]
WhyOpt = Annotated[
    str | None, typer.Option("--why", help="Why (recorded with the change).", show_default=False)
]
CampaignArg = Annotated[
    str,
    typer.Argument(
        help="The campaign's name (e.g. ttcp-2019).", metavar="CAMPAIGN", show_default=False
    ),
]
FileArg = Annotated[
    Path,
    typer.Argument(
        help="A .csv, .xlsx or .json file (docs/campaigns.md).", metavar="FILE", show_default=False
    ),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Only show what would change; write nothing.")
]
BasedOnOpt = Annotated[
    int | None,
    typer.Option(
        "--based-on",
        help="The campaign's last event you saw (campaign show); refused if it changed since.",
        show_default=False,
    ),
]
HeadOpt = Annotated[
    str | None,
    typer.Option(
        "--head",
        help="A chain head noted down earlier (12+ hex digits): it must still be in the chain.",
        show_default=False,
    ),
]
FormatOpt = Annotated[ShowFormat, typer.Option("--format", "-f", help="table or json.")]


@contextmanager
def opened(location: str | None, *, create: bool = False) -> Iterator[Store]:
    """The store named on the command line, closed after the command; only opening a
    campaign creates one (a mistyped --store is not an empty store)."""
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules import api

    store = api.open_store(location, create=create)
    try:
        yield store
    finally:
        store.close()


@campaign_app.command("open")
def open_command(
    ctx: typer.Context,
    ruleset: Annotated[
        str,
        typer.Argument(
            help="A ruleset family (the version in force for --period is chosen and the "
            "reason recorded) or family@version.",
            show_default=False,
        ),
    ],
    units: Annotated[
        str,
        typer.Option("--units", help="The units file, or 'demo'.", show_default=False),
    ],
    who: WhoOpt,
    period: Annotated[
        int | None, typer.Option("--period", "-p", help="The assessment year.", show_default=False)
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name", help="The campaign's name (default FAMILY-PERIOD).", show_default=False
        ),
    ] = None,
    why: WhyOpt = None,
    records: RecordsOpt = None,
    store: StoreOpt = None,
) -> None:
    """Open a campaign: the ruleset version in force, the units, state collecting.
    A ruleset deriving facts from record sets stores their files too (--records).

    Example:  cchc campaign open ttcp --period 2019 --units demo --who "Thư ký"
    """
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules import api
    from cchc_rules.inputs._derive import parse_records_option

    run = invocation(ctx)
    with opened(store, create=True) as db:
        state = api.open_campaign(
            db,
            ruleset,
            units,
            records=parse_records_option(records or []),
            who=who,
            period=period if period is not None else run.period,
            name=name,
            why=why,
            rulesets_dir=run.rulesets_dir,
            registry=run.registry(),
        )
        _say(
            run,
            f"opened {state.name} ({state.state}): {len(state.unit_ids)} units from "
            f"{state.units_name}; ruleset {state.reason}",
        )


def _say(run: Invocation, text: str) -> None:
    run.out.print(text, highlight=False, markup=False, soft_wrap=True)


@campaign_app.command("list")
def list_command(
    ctx: typer.Context, format: FormatOpt = ShowFormat.table, store: StoreOpt = None
) -> None:
    """Every campaign of the store: state, ruleset, units, runs."""
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules import api
    from cchc_rules.reports._json import json_bytes
    from cchc_rules.store._render import campaign_document, campaigns_table

    run = invocation(ctx)
    with opened(store) as db:
        states = api.list_campaigns(db)
    if format is ShowFormat.json:
        run.emit(json_bytes([campaign_document(s) for s in states]))
    else:
        run.out.print(campaigns_table(states))


@campaign_app.command("show")
def show_command(
    ctx: typer.Context,
    campaign: CampaignArg,
    format: FormatOpt = ShowFormat.table,
    store: StoreOpt = None,
) -> None:
    """One campaign: state, the ruleset and why, inputs as imported, appeals, runs."""
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules import api
    from cchc_rules.reports._json import json_bytes
    from cchc_rules.store._render import campaign_document, campaign_table

    run = invocation(ctx)
    with opened(store) as db:
        state = api.campaign_state(db, campaign)
    if format is ShowFormat.json:
        run.emit(json_bytes(campaign_document(state)))
    else:
        run.out.print(campaign_table(state))


@campaign_app.command("verify")
def verify_command(
    ctx: typer.Context,
    campaign: CampaignArg,
    head: HeadOpt = None,
    store: StoreOpt = None,
) -> None:
    """Walk the campaign's hash chain: "intact" and its head, or every break (exit code 1)."""
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules import api
    from cchc_rules.store._render import chain_lines

    run = invocation(ctx)
    with opened(store) as db:
        result = api.verify_campaign(db, campaign, noted=head)
    for line in chain_lines(result):
        _say(run, line)
    if not result.intact:
        raise typer.Exit(EXIT_INVALID)


def _report(run: Invocation, result: ImportResult) -> None:
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules.store._render import import_lines

    for line in import_lines(result):
        (run.err if line.startswith("warning") else run.out).print(
            line, highlight=False, markup=False, soft_wrap=True
        )


@campaign_app.command("carry-over")
def carry_over_command(
    ctx: typer.Context,
    campaign: CampaignArg,
    source: Annotated[
        str,
        typer.Option("--from", help="The earlier campaign (e.g. ttcp-2018).", show_default=False),
    ],
    who: WhoOpt,
    why: WhyOpt = None,
    dry_run: DryRunOpt = False,
    store: StoreOpt = None,
) -> None:
    """Carry an earlier campaign's evidence references over, by criterion lineage (a
    renamed criterion to its new id, a split one to each part); points are not carried."""
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules import api

    run = invocation(ctx)
    with opened(store) as db:
        result = api.carry_over(
            db, campaign, source, who=who, why=why, dry_run=dry_run, registry=run.registry()
        )
    for line in [
        *(f"  {c}" for c in result.changes),
        *(f"  not carried: {d}" for d in result.dropped),
    ]:
        _say(run, line)
    if result.event is not None:
        _say(run, f"{campaign}: evidence carried over as event #{result.event.id}")
    else:
        done = "dry run" if dry_run and result.changes else "nothing to change"
        _say(run, f"{campaign}: {done}; nothing written")


@campaign_app.command("close")
def close_command(
    ctx: typer.Context,
    campaign: CampaignArg,
    who: WhoOpt,
    why: WhyOpt = None,
    store: StoreOpt = None,
) -> None:
    """End the self-assessment: collecting → appraising."""
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules import api

    run = invocation(ctx)
    with opened(store) as db:
        state = api.close_collection(db, campaign, who=who, why=why)
    _say(run, f"{state.name}: {state.state}")


def _run_import(
    ctx: typer.Context,
    importer: str,
    campaign: str,
    file: Path,
    store: str | None,
    **options: object,
) -> None:
    """Import ``file`` through the API function named ``importer`` with ``options``."""
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules import api

    run = invocation(ctx)
    with opened(store) as db:
        result: ImportResult = getattr(api, importer)(
            db, campaign, file, registry=run.registry(), **options
        )
    _report(run, result)


def _import_command(importer: str, help: str) -> Callable[..., None]:
    """A command importing a file into a campaign through the API function named
    ``importer`` (by name: the API is imported when the command runs)."""

    def command(
        ctx: typer.Context,
        campaign: CampaignArg,
        file: FileArg,
        who: WhoOpt,
        why: WhyOpt = None,
        dry_run: DryRunOpt = False,
        based_on: BasedOnOpt = None,
        store: StoreOpt = None,
    ) -> None:
        _run_import(
            ctx,
            importer,
            campaign,
            file,
            who=who,
            why=why,
            dry_run=dry_run,
            based_on=based_on,
            store=store,
        )

    command.__doc__ = help
    return command


@campaign_app.command("self-assess")
def self_assess_command(
    ctx: typer.Context,
    campaign: CampaignArg,
    file: FileArg,
    who: WhoOpt,
    why: WhyOpt = None,
    facts: Annotated[
        bool,
        typer.Option(
            "--facts",
            help="FILE is a units file of the units' facts (the opening units file's "
            "columns): the engine scores them into self-points.",
        ),
    ] = False,
    dry_run: DryRunOpt = False,
    based_on: BasedOnOpt = None,
    store: StoreOpt = None,
) -> None:
    """Import self-scores with evidence: unit_id, criterion_id, points, evidence_number,
    evidence_date, evidence_title, evidence_ref (one row per evidence item); or, with
    --facts, the units' facts (unit_id, name, unit_type and the facts they self-assess)."""
    _run_import(
        ctx,
        "self_assess",
        campaign,
        file,
        facts=facts,
        who=who,
        why=why,
        dry_run=dry_run,
        based_on=based_on,
        store=store,
    )


campaign_app.command("survey")(
    _import_command(
        "import_survey",
        """Import survey results: unit_id, criterion_id and score (or answer, one row per
        respondent, aggregated by the ruleset's [appraisal.survey] rule).""",
    )
)
appraise_command = _import_command(
    "appraise",
    """Import the appraisal: unit_id, criterion_id, points, reason (required wherever the
    points differ from the self-score). Final = appraised where given, else self-score.""",
)
# The issue names it `cchc appraise`; beside the campaign's other imports it reads as
# `cchc campaign appraise`. One function, two names.
campaign_app.command("appraise")(appraise_command)
app.command("appraise")(appraise_command)


@campaign_app.command("publish")
def publish_command(
    ctx: typer.Context,
    campaign: CampaignArg,
    who: WhoOpt,
    why: WhyOpt = None,
    store: StoreOpt = None,
) -> None:
    """Freeze the scorecards and their provenance as a run (after appeals, a new run that
    supersedes the last one, which stays)."""
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules import api

    run = invocation(ctx)
    with opened(store) as db:
        record = api.publish(db, campaign, who=who, why=why, registry=run.registry())
    after = f", superseding {record.supersedes}" if record.supersedes else ""
    _say(run, f"published run {record.id}{after} (results sha256 {record.results_sha256})")


@campaign_app.command("appeal")
def appeal_command(
    ctx: typer.Context,
    campaign: CampaignArg,
    unit: Annotated[str, typer.Argument(help="The appealing unit's id.", show_default=False)],
    why: Annotated[
        str, typer.Option("--why", help="The grounds of the appeal.", show_default=False)
    ],
    who: WhoOpt,
    store: StoreOpt = None,
) -> None:
    """Record a unit's appeal (phúc khảo); re-appraise it, then publish again."""
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules import api

    run = invocation(ctx)
    with opened(store) as db:
        state = api.appeal(db, campaign, unit, who=who, why=why)
    _say(run, f"{state.name}: appeal of {unit} recorded (event #{state.last_event}); {state.state}")


@campaign_app.command("explain")
def explain_command(
    ctx: typer.Context,
    campaign: CampaignArg,
    unit: Annotated[str, typer.Argument(help="The unit to explain.", show_default=False)],
    run_id: Annotated[
        str | None,
        typer.Option(
            "--run", help="As that run froze it (default: as it stands now).", show_default=False
        ),
    ] = None,
    format: FormatOpt = ShowFormat.table,
    lang: LangOpt = Lang.vi,
    store: StoreOpt = None,
) -> None:
    """One unit's scorecard: per criterion self / appraised / final, evidence, reason."""
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules import api
    from cchc_rules.store._render import explanation_document, explanation_table

    run = invocation(ctx)
    with opened(store) as db:
        cards = api.campaign_scorecards(db, campaign, run=run_id, registry=run.registry())
    found = cards.explain(unit, lang=lang.value)
    if format is ShowFormat.json:
        run.emit(explanation_document(found))
    else:
        run.out.print(explanation_table(found, lang.value))
