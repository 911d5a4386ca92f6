"""``cchc plugins``: the criterion kinds and the plugins providing them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.table import Table
from rich.text import Text

from cchc_rules._cli._app import (
    fail,
    plugins_app,
    state,
)
from cchc_rules.errors import CchcError
from cchc_rules.kinds import fact_fields


def _default_text(value: Any) -> str:
    return str(value) if isinstance(value, Decimal) else repr(value)


@plugins_app.command("list")
def plugins_list() -> None:
    """Every criterion kind, the plugin it comes from, and its parameters.

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
