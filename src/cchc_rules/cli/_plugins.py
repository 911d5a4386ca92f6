"""``cchc plugins``: the criterion kinds and fact providers, and new plugin packages."""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.table import Table
from rich.text import Text

from cchc_rules._plugins import KindRegistry
from cchc_rules.cli._app import (
    ForceOpt,
    OutputOpt,
    emit,
    fail,
    plugins_app,
    state,
)
from cchc_rules.cli._scaffold import scaffold_files
from cchc_rules.errors import CchcError
from cchc_rules.hookspecs import PLUGIN_API_VERSION
from cchc_rules.kinds import param_fields
from cchc_rules.providers import DeriveContext, FactProvider, Output
from cchc_rules.reports._reports import format_from_suffix


class ListFormat(enum.StrEnum):
    table = "table"
    json = "json"


def _default_text(value: Any) -> str:
    return str(value) if isinstance(value, Decimal) else repr(value)


def _list_format(format: ListFormat | None, output: Path | None) -> ListFormat:
    """As asked, else json for an ``--output`` named .json, else the terminal table.

    Like ``choose_format``, it fails before any work; that one also offers csv and xlsx,
    which have no place for a listing's nested parameters and outputs.
    """
    if format is None and output is not None:
        if format_from_suffix(output, (ListFormat.json.value,)) is None:
            raise typer.BadParameter(
                f"cannot tell the format from {output.name!r}; name the file .json, or "
                "pass --format json",
                param_hint="--output",
            )
        return ListFormat.json
    if format is ListFormat.table and output is not None:
        raise typer.BadParameter(
            "the table format is for the terminal; use json with --output",
            param_hint="--format",
        )
    return format or ListFormat.table


@plugins_app.command("list")
def plugins_list(
    format: Annotated[
        ListFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="table (terminal) or json; default: json for --output FILE.json, else table.",
            show_default=False,
        ),
    ] = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
) -> None:
    """Every criterion kind and fact provider, the plugin it comes from, its parameters,
    and the facts each provider derives (its outputs: name, type, label).

    --format json (or --output FILE.json) gives the same as one JSON document:
    plugin_api (this cchc-rules' plugin API version); plugins (name, label,
    distribution, version, api: the API version it declares); kinds (name, plugin: its
    label, description, path: batch or per unit, parameters); providers (name, plugin,
    description, record_sets: role and description, parameters, outputs: name, type,
    description; null when they depend on the parameters). A parameter has name, fact
    (whether it names a fact), required, default and description. Decimals are strings
    ("0.5"); descriptions are {"vi": …, "en": …}, or null.

    Examples:

      cchc plugins list

      cchc plugins list --format json > plugins.json

      cchc plugins list -o plugins.json

      cchc --plugins-dir ./my_kinds plugins list
    """
    chosen = _list_format(format, output)
    try:
        registry = state.registry()
        if chosen is ListFormat.json:
            document = _listing_document(registry)
            emit(
                (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode(), output, force
            )
            return
    except CchcError as exc:
        raise fail(exc) from exc
    table = Table(header_style="bold", show_lines=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("plugin", no_wrap=True)
    table.add_column("path", no_wrap=True)
    table.add_column("parameters")
    for name in registry.names():
        entry = registry.kinds[name]
        described = []
        for field in param_fields(entry.kind.Params):
            default = "" if field.required else f" = {_default_text(field.default)}"
            marker = " (fact)" if field.fact else ""
            described.append(f"{field.name}{marker}{default}")
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


def _declared_outputs(provider: type[FactProvider[Any]]) -> Mapping[str, Output] | Exception:
    """The outputs of ``provider``, or what stopped it from naming them."""
    # outputs() belongs to a provider bound by a ruleset's [providers] table. The listing
    # binds the parameters' defaults, unvalidated: a provider whose outputs need a
    # required parameter is listed as such instead of stopping the whole listing.
    try:
        bound = provider(
            provider.Params.model_construct(), DeriveContext.for_year(dt.date.today().year)
        )
        return bound.outputs()
    except Exception as exc:
        return exc


def _output_rows(provider: type[FactProvider[Any]]) -> list[tuple[str, str, str]]:
    """``(output, type, bilingual label)`` of each output of ``provider``."""
    outputs = _declared_outputs(provider)
    if isinstance(outputs, Exception):
        return [("?", "", f"depend on the parameters ({type(outputs).__name__} without them)")]
    return [
        (name, output.type, "\n".join(filter(None, map(output.description.get, ("vi", "en")))))
        for name, output in outputs.items()
    ]


def _listing_document(registry: KindRegistry) -> dict[str, Any]:
    """What ``plugins list --format json`` writes; its keys are listed in the command's help."""
    providers = []
    for name in registry.provider_names():
        found = registry.providers[name]
        outputs = _declared_outputs(found.provider)
        providers.append(
            {
                "name": name,
                "plugin": found.plugin.label,
                "description": _bilingual(found.provider.summary),
                "record_sets": [
                    {"role": role, "description": _bilingual(schema.description)}
                    for role, schema in found.provider.record_sets.items()
                ],
                "parameters": _parameters(found.provider.Params),
                "outputs": None
                if isinstance(outputs, Exception)
                else [
                    {
                        "name": output_name,
                        "type": output.type,
                        "description": _bilingual(output.description),
                    }
                    for output_name, output in outputs.items()
                ],
            }
        )
    return {
        "plugin_api": PLUGIN_API_VERSION,
        "plugins": [
            {
                "name": plugin.name,
                "label": plugin.label,
                "distribution": plugin.distribution,
                "version": plugin.version,
                "api": registry.api_versions[plugin],
            }
            for plugin in registry.plugins
        ],
        "kinds": [
            {
                "name": name,
                "plugin": entry.plugin.label,
                "description": _bilingual(entry.kind.summary),
                "path": "batch" if entry.kind.has_batch_path() else "per unit",
                "parameters": _parameters(entry.kind.Params),
            }
            for name, entry in sorted(registry.kinds.items())
        ],
        "providers": providers,
    }


def _parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    return [
        {
            "name": field.name,
            "fact": field.fact,
            "required": field.required,
            "default": None if field.required else _json_value(field.default),
            "description": field.description,
        }
        for field in param_fields(model)
    ]


def _bilingual(texts: Mapping[str, str]) -> dict[str, str] | None:
    return dict(texts) if texts else None


def _json_value(value: Any) -> Any:
    """A parameter's default as JSON: decimals as exact strings, as in every JSON output."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, BaseModel):
        return _json_value(value.model_dump())
    if isinstance(value, Mapping):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float):
        return value
    # Whatever else a plugin uses as a default reads as the terminal table shows it.
    return repr(value)


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
