"""``cchc rulesets``: list, show, validate, diff, amend and lock ruleset versions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.text import Text

from cchc_rules.cli._app import (
    EXIT_INVALID,
    Lang,
    LangOpt,
    PeriodOpt,
    RulesetArg,
    ShowFormat,
    invocation,
    rulesets_app,
)
from cchc_rules.errors import CchcError, RulesetError
from cchc_rules.reports._literal import literal, printable

# NOTE: the API, readers and writers are imported inside the commands that use them:
# `cchc --help` builds its help from this module and must not import numpy, pyarrow or
# pydantic (tests/cli/test_startup.py checks).


@rulesets_app.command("list")
def rulesets_list(ctx: typer.Context, lang: LangOpt = Lang.vi) -> None:
    """Every ruleset version with its status, legal basis, periods and content hash.

    Example:  cchc rulesets list --lang en
    """
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules.api import list_rulesets
    from cchc_rules.reports._terminal_rulesets import versions_table

    run = invocation(ctx)
    states = list_rulesets(rulesets_dir=run.rulesets_dir, registry=run.registry())
    run.out.print(versions_table(states, lang.value))
    if any(state.ruleset is None for state in states):
        raise typer.Exit(EXIT_INVALID)


@rulesets_app.command("show")
def rulesets_show(
    ctx: typer.Context,
    ruleset: RulesetArg,
    format: Annotated[
        ShowFormat | None,
        typer.Option("--format", "-f", help="tree (terminal), toml or json."),
    ] = None,
    resolved: Annotated[
        bool,
        typer.Option(
            "--resolved",
            help="Print the full resolved ruleset (an amendment merged into its parent) as "
            "TOML, unless --format json.",
        ),
    ] = False,
    period: PeriodOpt = None,
    lang: LangOpt = Lang.vi,
) -> None:
    """Show a ruleset: its tree of areas and criteria, or the full content as TOML/JSON.

    TOML and JSON are always the resolved ruleset: an amendment merged into the
    version it extends, which loads back with the same content hash.

    Examples:

      cchc rulesets show ttcp@2018

      cchc rulesets show ttcp@2018 --format toml > ttcp-2018.toml

      cchc rulesets show ttcp@2019 --resolved > ttcp-2019-resolved.toml

      cchc rulesets show ttcp --period 2019
    """
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules.api import resolved_text
    from cchc_rules.reports._terminal_rulesets import ruleset_tree

    if format is None:
        format = ShowFormat.toml if resolved else ShowFormat.tree
    run = invocation(ctx)
    compiled = run.load(ruleset, period)
    if format is ShowFormat.tree:
        run.out.print(ruleset_tree(compiled, lang.value))
    else:
        text = resolved_text(compiled, "json" if format is ShowFormat.json else "toml")
        run.emit(text.encode())


@rulesets_app.command("validate")
def rulesets_validate(
    ctx: typer.Context,
    rulesets: Annotated[
        list[str],
        typer.Argument(
            help="Ruleset files or family@version references.",
            metavar="RULESET...",
            show_default=False,
        ),
    ],
) -> None:
    """Check rulesets and report every problem at once (exit 1 if any is invalid).

    Examples:

      cchc rulesets validate rulesets/ttcp/2018.toml

      cchc rulesets validate ttcp@2018 draft.toml
    """
    run = invocation(ctx)
    failed = False
    for name in rulesets:
        try:
            compiled = run.load(name)
        except CchcError as exc:
            failed = True
            run.err.print(Text.assemble(("✗ ", "red"), printable(name)))
            for line in str(exc).splitlines():
                # soft_wrap: one problem per line, never cut, so it can be searched and copied
                run.err.print(literal(f"  {line}"), soft_wrap=True)
            continue
        run.out.print(
            Text.assemble(
                ("✓ ", "green"),
                printable(
                    f"{name}: {compiled.ref}, {len(compiled.leaves)} criteria, "
                    f"sha256 {compiled.content_hash}"
                ),
            ),
            soft_wrap=True,
        )
    if failed:
        raise typer.Exit(EXIT_INVALID)


@rulesets_app.command("diff")
def rulesets_diff(
    ctx: typer.Context,
    before: Annotated[
        str, typer.Argument(help="The earlier version.", metavar="BEFORE", show_default=False)
    ],
    after: Annotated[
        str, typer.Argument(help="The later version.", metavar="AFTER", show_default=False)
    ],
    format: Annotated[
        str, typer.Option("--format", "-f", help="table (terminal) or json.")
    ] = "table",
    lang: LangOpt = Lang.vi,
) -> None:
    """What changed between two versions: criteria added, removed and changed (field by
    field), area totals before and after, lineage of renamed, split and merged criteria.

    Examples:

      cchc rulesets diff ttcp@2018 ttcp@2019

      cchc rulesets diff ttcp@2018 ttcp@2019 --format json > changes.json
    """
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules.api import diff
    from cchc_rules.reports._json import diff_json
    from cchc_rules.reports._terminal_rulesets import diff_tables

    if format not in ("table", "json"):
        raise typer.BadParameter("expected table or json", param_hint="--format")
    run = invocation(ctx)
    changes = diff(run.load(before), run.load(after))
    if format == "json":
        run.emit(diff_json(changes))
    else:
        run.out.print(diff_tables(changes, lang.value))


@rulesets_app.command("amend")
def rulesets_amend(
    ctx: typer.Context,
    base: Annotated[
        str,
        typer.Argument(help="The version to amend (family@version).", metavar="BASE"),
    ],
    new_version: Annotated[
        str, typer.Option("--new-version", help="Version of the new draft, e.g. 2020-draft.")
    ],
    legal_basis: Annotated[
        str, typer.Option("--legal-basis", help="The amending decision, e.g. '123/QĐ-TTCP'.")
    ],
    set_values: Annotated[
        list[str] | None,
        typer.Option("--set", help="ID.field=VALUE (TOML value), e.g. C2.1.max_points=3."),
    ] = None,
    remove: Annotated[
        list[str] | None, typer.Option("--remove", help="Id of a criterion or area to retire.")
    ] = None,
    why: Annotated[
        str | None, typer.Option("--why", help="The requirement behind the changes.")
    ] = None,
    decision_date: Annotated[
        str | None, typer.Option("--date", help="Date of the decision (YYYY-MM-DD; default today).")
    ] = None,
    periods: Annotated[
        list[int] | None,
        typer.Option("--period", help="Evaluation year(s) of the new version (default: BASE's)."),
    ] = None,
) -> None:
    """Write a new draft amending BASE with the given changes; never touches an existing file.

    The file is checked (resolved and validated) before it is written.

    Example:

      cchc rulesets amend ttcp@2019 --new-version 2020-draft --legal-basis "Dự thảo 2020"
      --set E2.max_points=2 --set E6.max_points=0.5 --remove B6 --set B4.max_points=3
    """
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules.api import AssignmentError, amend_ruleset

    run = invocation(ctx)
    parent = run.load(base)
    try:
        date = dt.date.fromisoformat(decision_date) if decision_date else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--date") from exc
    try:
        amendment = amend_ruleset(
            parent,
            new_version,
            legal_basis,
            set_values=set_values or [],
            remove=remove or [],
            why=why,
            date=date,
            periods=periods,
            rulesets_dir=run.rulesets_dir,
            registry=run.registry(),
        )
    except AssignmentError as exc:
        raise typer.BadParameter(str(exc), param_hint="--set") from exc
    run.err.print(
        literal(f"wrote {amendment.path} ({amendment.ref}, draft, {amendment.changes} change(s))")
    )


@rulesets_app.command("lock")
def rulesets_lock(ctx: typer.Context) -> None:
    """Record the content hash of every published version not yet in lock.toml.

    Recorded hashes are never rewritten: a published version whose content changed is
    reported (exit 1) and stays as recorded.

    Example:  cchc rulesets lock
    """
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules.api import lock_rulesets

    run = invocation(ctx)
    update = lock_rulesets(rulesets_dir=run.rulesets_dir, registry=run.registry())
    for ref in update.added:
        run.out.print(f"locked {ref}", highlight=False)
    if not update.added:
        run.out.print("nothing to lock: every published version is recorded", highlight=False)
    if update.problems:
        raise RulesetError(update.problems)
