"""``cchc plugins``: the criterion kinds and fact providers, and new plugin packages."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from cchc_rules._cli._app import (
    fail,
    plugins_app,
    state,
)
from cchc_rules._cli._scaffold import scaffold_files
from cchc_rules._plugins import KindRegistry
from cchc_rules.errors import CchcError
from cchc_rules.kinds import fact_fields
from cchc_rules.providers import DeriveContext, FactProvider


def _default_text(value: Any) -> str:
    return str(value) if isinstance(value, Decimal) else repr(value)


@plugins_app.command("list")
def plugins_list() -> None:
    """Every criterion kind and fact provider, the plugin it comes from, its parameters,
    and the facts each provider derives (its outputs: name, type, label).

    Examples:

      cchc plugins list

      cchc --plugins-dir ./my_kinds plugins list
    """
    try:
        registry = state.registry()
    except CchcError as exc:
        raise fail(exc) from exc
    table = Table(header_style="bold", show_lines=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("plugin", no_wrap=True)
    table.add_column("path", no_wrap=True)
    table.add_column("parameters")
    for name in registry.names():
        entry = registry.kinds[name]
        params = entry.kind.Params
        facts = set(fact_fields(params))
        described = []
        for field_name, info in params.model_fields.items():
            default = (
                ""
                if info.is_required()
                else f" = {_default_text(info.get_default(call_default_factory=True))}"
            )
            marker = " (fact)" if field_name in facts else ""
            described.append(f"{field_name}{marker}{default}")
        path = "batch" if entry.kind.has_batch_path() else "per unit"
        table.add_row(name, Text(entry.plugin.label), path, Text("\n".join(described)))
    state.out.print(table)
    if registry.providers:
        _print_providers(registry)


def _print_providers(registry: KindRegistry) -> None:
    providers = Table(header_style="bold", show_lines=True)
    providers.add_column("fact provider", no_wrap=True)
    providers.add_column("plugin", no_wrap=True)
    providers.add_column("record sets (roles)")
    providers.add_column("parameters")
    # One row per output, in a table of its own: labels are long, and beside the roles
    # and parameters they would wrap to a word a line.
    outputs = Table(header_style="bold")
    outputs.add_column("fact provider", no_wrap=True)
    outputs.add_column("output (derived fact)", no_wrap=True)
    outputs.add_column("type", no_wrap=True)
    outputs.add_column("Tiếng Việt / English")
    for name in registry.provider_names():
        found = registry.providers[name]
        roles = "\n".join(found.provider.record_sets)
        fields = "\n".join(found.provider.Params.model_fields)
        providers.add_row(name, Text(found.plugin.label), Text(roles), Text(fields))
        rows = _output_rows(found.provider)
        for index, (output, type_, label) in enumerate(rows):
            outputs.add_row(
                name if index == 0 else "",
                Text(output),
                type_,
                Text(label),
                end_section=index == len(rows) - 1,
            )
    state.out.print(providers)
    state.out.print(outputs)


def _output_rows(provider: type[FactProvider[Any]]) -> list[tuple[str, str, str]]:
    """``(output, type, bilingual label)`` of each output of ``provider``."""
    # outputs() belongs to a provider bound by a ruleset's [providers] table. The listing
    # binds the parameters' defaults, unvalidated: a provider whose outputs need a
    # required parameter is listed as such instead of stopping the whole listing.
    try:
        bound = provider(
            provider.Params.model_construct(), DeriveContext.for_year(dt.date.today().year)
        )
        outputs = bound.outputs()
    except Exception as exc:
        return [("?", "", f"depend on the parameters ({type(exc).__name__} without them)")]
    return [
        (name, output.type, "\n".join(filter(None, map(output.description.get, ("vi", "en")))))
        for name, output in outputs.items()
    ]


@plugins_app.command("new")
def plugins_new(
    name: Annotated[
        str,
        typer.Argument(
            help="Package name, e.g. cchc-staff-quota.", metavar="NAME", show_default=False
        ),
    ],
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Where to write the package (default: ./NAME)."),
    ] = None,
) -> None:
    """Write a new plugin package: pyproject with the entry point, one kind, a case file,
    a test. It installs (pip install -e NAME) and passes its tests (pytest) untouched.

    Examples:

      cchc plugins new cchc-staff-quota

      cchc plugins new staff_quota --dir plugins/cchc-staff-quota
    """
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", name):
        raise typer.BadParameter("expected letters, digits, '-' and '_'", param_hint="NAME")
    target = directory or Path(name)
    if target.exists() and any(target.iterdir()):
        raise typer.BadParameter(f"{target} exists and is not empty", param_hint="--dir")
    for relative, content in scaffold_files(name).items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    state.err.print(f"wrote {target}: pip install -e {target} && pytest {target}", highlight=False)
