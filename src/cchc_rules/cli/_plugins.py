"""``cchc plugins``: the criterion kinds and fact providers, and new plugin packages."""

from __future__ import annotations

import enum
import re
from pathlib import Path
from typing import Annotated

import typer

from cchc_rules.cli._app import ForceOpt, OutputOpt, invocation, plugins_app
from cchc_rules.reports._literal import literal

# NOTE: the API, readers and writers are imported inside the commands that use them:
# `cchc --help` builds its help from this module and must not import numpy, pyarrow or
# pydantic (tests/cli/test_startup.py checks).


class ListFormat(enum.StrEnum):
    table = "table"
    json = "json"


def _list_format(format: ListFormat | None, output: Path | None) -> ListFormat:
    """As asked, else json for an ``--output`` named .json, else the terminal table.

    Like ``choose_format``, it fails before any work; that one also offers csv and xlsx,
    which have no place for a listing's nested parameters and outputs.
    """
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules.reports._formats import format_from_suffix

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
    ctx: typer.Context,
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
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules.api import plugin_catalogue
    from cchc_rules.reports._catalogue import catalogue_tables
    from cchc_rules.reports._json import json_bytes

    chosen = _list_format(format, output)
    run = invocation(ctx)
    registry = run.registry()
    if chosen is ListFormat.json:
        run.emit(json_bytes(plugin_catalogue(registry)), output, force)
    else:
        run.out.print(catalogue_tables(registry))


@plugins_app.command("new")
def plugins_new(
    ctx: typer.Context,
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
    # NOTE: lazy: see the module's imports (`cchc --help` must not import these).
    from cchc_rules.cli._scaffold import scaffold_files

    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", name):
        raise typer.BadParameter("expected letters, digits, '-' and '_'", param_hint="NAME")
    target = directory or Path(name)
    if target.exists() and any(target.iterdir()):
        raise typer.BadParameter(f"{target} exists and is not empty", param_hint="--dir")
    for relative, content in scaffold_files(name).items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    message = f"wrote {target}: pip install -e {target} && pytest {target}"
    invocation(ctx).err.print(literal(message))
