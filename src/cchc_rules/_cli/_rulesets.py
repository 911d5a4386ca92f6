"""``cchc rulesets``: list, show and validate ruleset versions."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

import tomli_w
import typer
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from cchc_rules._cli._app import (
    EXIT_INVALID,
    Lang,
    LangOpt,
    RulesetArg,
    ShowFormat,
    emit,
    fail,
    load,
    rulesets_app,
    state,
)
from cchc_rules._loading import load_ruleset_file
from cchc_rules._registry import list_ruleset_files
from cchc_rules.errors import CchcError


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
    table = Table(header_style="bold", show_lines=True)
    # Identifiers never wrap (a hash or a decision number cut in two cannot be copied);
    # the title, under the ruleset's name, takes the remaining width.
    table.add_column("ruleset\n(title)", ratio=1, min_width=24)
    table.add_column("status\nperiods", no_wrap=True)
    table.add_column("decision\n(date)", no_wrap=True)
    table.add_column("criteria", no_wrap=True, justify="right")
    table.add_column("sha256", no_wrap=True)
    invalid = 0
    for entry in files:
        try:
            compiled = load_ruleset_file(entry.path, registry=registry, display=entry.ref)
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
        table.add_row(
            Text.assemble((entry.ref, "bold"), "\n", meta.title.get(lang.value)),
            Text(f"{meta.status}\n{', '.join(str(p) for p in meta.periods)}"),
            Text(f"{meta.legal_basis.decision}\n{meta.legal_basis.date:%d/%m/%Y}"),
            str(len(compiled.leaves)),
            compiled.content_hash[:12],
        )
    state.out.print(table)
    if invalid:
        raise typer.Exit(EXIT_INVALID)


def _exact_toml_values(value: Any) -> Any:
    """Data for tomli_w that reads back to the same model, hence the same content hash.

    tomli_w writes ``Decimal("100")`` as ``100.0``, which reads back as a different
    Decimal (and hash); a whole Decimal without a fraction is written as an integer.
    """
    if isinstance(value, Decimal):
        return int(value) if value.as_tuple().exponent == 0 else value
    if isinstance(value, dict):
        return {key: _exact_toml_values(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_exact_toml_values(item) for item in value]
    return value


@rulesets_app.command("show")
def rulesets_show(
    ruleset: RulesetArg,
    format: Annotated[
        ShowFormat, typer.Option("--format", "-f", help="tree (terminal), toml or json.")
    ] = ShowFormat.tree,
    lang: LangOpt = Lang.vi,
) -> None:
    """Show a ruleset: its tree of areas and criteria, or the full content as TOML/JSON.

    Examples:

      cchc rulesets show ttcp@2018

      cchc rulesets show ttcp@2018 --format toml > ttcp-2018-resolved.toml
    """
    try:
        compiled = load(ruleset)
    except CchcError as exc:
        raise fail(exc) from exc
    model = compiled.model
    if format is ShowFormat.json:
        document = model.model_dump(mode="json", exclude_none=True)
        emit((json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode(), None, False)
        return
    if format is ShowFormat.toml:
        document = _exact_toml_values(model.model_dump(mode="python", exclude_none=True))
        emit(tomli_w.dumps(document).encode(), None, False)
        return
    meta = model.ruleset
    tree = Tree(
        Text.assemble(
            (compiled.ref, "bold"),
            f" {meta.title.get(lang.value)} — {meta.total_points} "
            f"({meta.legal_basis.decision}, {meta.status}, sha256 {compiled.content_hash[:12]})",
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
