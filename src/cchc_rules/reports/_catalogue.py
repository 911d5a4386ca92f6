"""The plugins catalogue: every kind and fact provider, for the terminal and as JSON."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from rich.console import Group
from rich.table import Table

from cchc_rules._plugins import KindRegistry
from cchc_rules.hookspecs import PLUGIN_API_VERSION
from cchc_rules.kinds import CriterionKind, number_text, param_fields
from cchc_rules.providers import DeriveContext, FactProvider, Output
from cchc_rules.reports._literal import literal

__all__ = ["catalogue_document", "catalogue_tables"]


def _default_text(value: Any) -> str:
    return str(value) if isinstance(value, Decimal) else repr(value)


def _path(kind: type[CriterionKind[Any]]) -> str:
    """How the engine scores the kind's criteria: all together, a column at a time, or
    unit by unit."""
    if kind.stacks():
        return "stacked"
    return "batch" if kind.has_batch_path() else "per unit"


def catalogue_tables(registry: KindRegistry) -> Group:
    """The kinds; then, if any, the fact providers and the facts each derives."""
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
        table.add_row(
            name, literal(entry.plugin.label), _path(entry.kind), literal("\n".join(described))
        )
    if not registry.providers:
        return Group(table)
    return Group(table, *_provider_tables(registry))


def _provider_tables(registry: KindRegistry) -> tuple[Table, Table]:
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
        providers.add_row(name, literal(found.plugin.label), literal(roles), literal(fields))
        rows = _output_rows(found.provider)
        for index, (output, type_, label) in enumerate(rows):
            outputs.add_row(
                name if index == 0 else "",
                literal(output),
                type_,
                literal(label),
                end_section=index == len(rows) - 1,
            )
    return providers, outputs


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


def catalogue_document(registry: KindRegistry) -> dict[str, Any]:
    """What ``cchc plugins list --format json`` writes; its keys are listed in that command's
    help."""
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
                "path": _path(entry.kind),
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
        return number_text(value)
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
