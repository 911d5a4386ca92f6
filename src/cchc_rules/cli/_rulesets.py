"""``cchc rulesets``: list, show, validate, diff, amend and lock ruleset versions."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from cchc_rules.cli._app import (
    EXIT_INVALID,
    Lang,
    LangOpt,
    PeriodOpt,
    RulesetArg,
    ShowFormat,
    emit,
    fail,
    load,
    rulesets_app,
    state,
)
from cchc_rules.errors import CchcError, Problem, RulesetError
from cchc_rules.reports._reports import diff_json, diff_tables, write_atomic
from cchc_rules.ruleset._diff import diff_rulesets
from cchc_rules.ruleset._loading import load_ruleset_file, load_ruleset_text
from cchc_rules.ruleset._lock import LOCK_FILE, PUBLISHED, read_lock, render_lock
from cchc_rules.ruleset._registry import list_ruleset_files, rulesets_root
from cchc_rules.ruleset._toml import ruleset_toml


@rulesets_app.command("list")
def rulesets_list(lang: LangOpt = Lang.vi) -> None:
    """Every ruleset version with its status, legal basis, periods and content hash.

    Example:  cchc rulesets list --lang en
    """
    try:
        registry = state.registry()
    except CchcError as exc:
        raise fail(exc) from exc
    files = list_ruleset_files(state.rulesets_dir)
    lock = read_lock(rulesets_root(state.rulesets_dir)) or {}
    table = Table(header_style="bold", show_lines=True)
    # Identifiers never wrap (a hash or a decision number cut in two cannot be copied);
    # the title, under the ruleset's name, takes the remaining width.
    table.add_column("ruleset\n(title)", ratio=1, min_width=24)
    table.add_column("status\nperiods", no_wrap=True)
    table.add_column("decision (date)\nextends", no_wrap=True)
    table.add_column("criteria", no_wrap=True, justify="right")
    table.add_column("sha256\nlock", no_wrap=True)
    invalid = 0
    for entry in files:
        try:
            compiled = load_ruleset_file(
                entry.path, registry=registry, display=entry.ref, rulesets_dir=state.rulesets_dir
            )
        except CchcError as exc:
            invalid += 1
            problem = exc.problems[0] if exc.problems else exc
            table.add_row(
                Text.assemble(
                    (entry.ref, "bold"),
                    "\n",
                    (f"{problem}\n(cchc rulesets validate {entry.ref})", "red"),
                ),
                Text("invalid", style="red"),
            )
            continue
        meta = compiled.model.ruleset
        basis = meta.legal_basis
        locked = "locked" if entry.version in lock.get(entry.family, {}) else "not locked"
        table.add_row(
            Text.assemble((entry.ref, "bold"), "\n", meta.title.get(lang.value)),
            Text(f"{meta.status}\n{', '.join(str(p) for p in meta.periods)}"),
            Text(
                f"{basis.decision} ({basis.date:%d/%m/%Y})\n"
                f"{'extends ' + meta.extends if meta.extends else ''}"
            ),
            str(len(compiled.leaves)),
            Text(
                f"{compiled.content_hash[:12]}\n{locked if meta.status in PUBLISHED else 'draft'}"
            ),
        )
    state.out.print(table)
    if invalid:
        raise typer.Exit(EXIT_INVALID)


@rulesets_app.command("show")
def rulesets_show(
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
    if format is None:
        format = ShowFormat.toml if resolved else ShowFormat.tree
    try:
        compiled = load(ruleset, period)
    except CchcError as exc:
        raise fail(exc) from exc
    model = compiled.model
    if format is ShowFormat.json:
        document = model.model_dump(mode="json", exclude_none=True)
        emit((json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode(), None, False)
        return
    if format is ShowFormat.toml:
        document = model.model_dump(mode="python", exclude_none=True)
        emit(ruleset_toml(document).encode(), None, False)
        return
    meta = model.ruleset
    extends = f", extends {meta.extends}" if meta.extends else ""
    tree = Tree(
        Text.assemble(
            (compiled.ref, "bold"),
            f" {meta.title.get(lang.value)} — {meta.total_points} "
            f"({meta.legal_basis.decision}, {meta.status}{extends}, "
            f"sha256 {compiled.content_hash[:12]})",
        )
    )

    def add(branch: Tree, criteria: Any) -> None:
        for criterion in criteria:
            text = Text(f"{criterion.id} {criterion.name.get(lang.value)} [{criterion.max_points}]")
            if criterion.kind:
                text.append(f" {criterion.kind}", style="dim")
            if criterion.applies_to:
                text.append(f" ({', '.join(criterion.applies_to)})", style="cyan")
            add(branch.add(text), criterion.criteria)

    for area in model.areas:
        name = f"{area.id} {area.name.get(lang.value)} [{area.max_points}]"
        add(tree.add(Text(name, style="bold")), area.criteria)
    state.out.print(tree)


@rulesets_app.command("validate")
def rulesets_validate(
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
    failed = False
    for name in rulesets:
        try:
            compiled = load(name)
        except CchcError as exc:
            failed = True
            state.err.print(Text.assemble(("✗ ", "red"), name))
            for line in str(exc).splitlines():
                # soft_wrap: one problem per line, never cut, so it can be searched and copied
                state.err.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)
            continue
        state.out.print(
            Text.assemble(
                ("✓ ", "green"),
                f"{name}: {compiled.ref}, {len(compiled.leaves)} criteria, "
                f"sha256 {compiled.content_hash}",
            ),
            soft_wrap=True,
        )
    if failed:
        raise typer.Exit(EXIT_INVALID)


@rulesets_app.command("diff")
def rulesets_diff(
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
    if format not in ("table", "json"):
        raise typer.BadParameter("expected table or json", param_hint="--format")
    try:
        first, second = load(before), load(after)
    except CchcError as exc:
        raise fail(exc) from exc
    diff = diff_rulesets(first.model, second.model, first.content_hash, second.content_hash)
    if format == "json":
        emit(diff_json(diff), None, False)
    else:
        state.out.print(diff_tables(diff, lang.value))


def _parse_value(text: str) -> Any:
    """A --set value as TOML (numbers exact, tables and arrays allowed); bare words are text."""
    try:
        return tomllib.loads(f"v = {text}", parse_float=Decimal)["v"]
    except tomllib.TOMLDecodeError:
        return text


def _split_target(target: str, ids: list[str]) -> tuple[str, list[str]]:
    """``C2.1.max_points`` → (``C2.1``, [``max_points``]): ids contain dots too, so the
    longest prefix that names an existing criterion is the id."""
    parts = target.split(".")
    for end in range(len(parts) - 1, 0, -1):
        ident = ".".join(parts[:end])
        if ident in ids:
            return ident, parts[end:]
    raise typer.BadParameter(
        f"{target!r} names no criterion or area and field (expected ID.field=VALUE, e.g. "
        "A3.max_points=3)",
        param_hint="--set",
    )


@rulesets_app.command("amend")
def rulesets_amend(
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
    try:
        parent = load(base)
    except CchcError as exc:
        raise fail(exc) from exc
    meta = parent.model.ruleset
    root = rulesets_root(state.rulesets_dir)
    target = root / meta.family / f"{new_version}.toml"
    ref = f"{meta.family}@{new_version}"
    try:
        if target.exists():
            raise CchcError(
                [
                    Problem(
                        str(target),
                        None,
                        "",
                        f"{ref} already exists; amendments never touch an existing version",
                    )
                ]
            )
        date = dt.date.fromisoformat(decision_date) if decision_date else dt.date.today()
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--date") from exc
    except CchcError as exc:
        raise fail(exc) from exc
    reason = {"vi": why, "en": why} if why else None
    ids = [placed.node.id for placed in parent.model.tree()]
    changes: list[dict[str, Any]] = []
    for item in set_values or []:
        target_text, separator, value = item.partition("=")
        if not separator:
            raise typer.BadParameter(f"expected ID.field=VALUE (got {item!r})", param_hint="--set")
        ident, field = _split_target(target_text.strip(), ids)
        nested: Any = _parse_value(value.strip())
        for key in reversed(field):
            nested = {key: nested}
        changes.append(
            {"op": "set", "id": ident, **({"why": reason} if reason else {}), "set": nested}
        )
    for ident in remove or []:
        changes.append({"op": "remove", "id": ident, **({"why": reason} if reason else {})})
    document: dict[str, Any] = {
        "ruleset": {
            "extends": parent.ref,
            "family": meta.family,
            "version": new_version,
            "title": {
                "vi": f"{meta.title.vi} — dự thảo {new_version}",
                "en": f"{meta.title.en} — draft {new_version}",
            },
            "status": "draft",
            "periods": list(periods or meta.periods),
            "legal_basis": {"decision": legal_basis, "date": date},
        },
        "changes": changes,
    }
    text = ruleset_toml(
        document,
        f"Amendment of {parent.ref}, written by `cchc rulesets amend`.\n"
        f"Resolved: cchc rulesets show {ref} --resolved\n"
        f"Changes:  cchc rulesets diff {parent.ref} {ref}",
    )
    try:
        # Resolve and validate from memory first: an invalid amendment is never written.
        load_ruleset_text(
            text,
            target,
            registry=state.registry(),
            display=str(target),
            rulesets_dir=state.rulesets_dir,
        )
        write_atomic(target, text.encode(), force=False)
    except CchcError as exc:
        raise fail(exc) from exc
    state.err.print(f"wrote {target} ({ref}, draft, {len(changes)} change(s))", highlight=False)


@rulesets_app.command("lock")
def rulesets_lock() -> None:
    """Record the content hash of every published version not yet in lock.toml.

    Recorded hashes are never rewritten: a published version whose content changed is
    reported (exit 1) and stays as recorded.

    Example:  cchc rulesets lock
    """
    root = rulesets_root(state.rulesets_dir)
    try:
        registry = state.registry()
        lock = read_lock(root) or {}
    except CchcError as exc:
        raise fail(exc) from exc
    problems: list[Problem] = []
    added: list[str] = []
    for entry in list_ruleset_files(state.rulesets_dir):
        try:
            compiled = load_ruleset_file(
                entry.path,
                registry=registry,
                display=entry.ref,
                rulesets_dir=state.rulesets_dir,
                verify_lock=False,
            )
        except RulesetError as exc:
            problems.extend(exc.problems)
            continue
        if compiled.model.ruleset.status not in PUBLISHED:
            continue
        versions = lock.setdefault(entry.family, {})
        if entry.version not in versions:
            versions[entry.version] = compiled.content_hash
            added.append(entry.ref)
    if added:
        try:
            write_atomic(root / LOCK_FILE, render_lock(lock).encode(), force=True)
        except CchcError as exc:
            raise fail(exc) from exc
    for ref in added:
        state.out.print(f"locked {ref}", highlight=False)
    if not added:
        state.out.print("nothing to lock: every published version is recorded", highlight=False)
    if problems:
        raise fail(RulesetError(problems))
