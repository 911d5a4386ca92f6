#!/usr/bin/env python3
"""Generate ``docs/kinds.md``, the reference of every criterion kind and fact provider —
built-in and from the plugin packages bundled in ``plugins/`` — from code.

    python tools/gen_kinds_doc.py           write docs/kinds.md
    python tools/gen_kinds_doc.py --check   exit 1 if docs/kinds.md is stale

Each kind's page comes from its class: the summary and docstring (bilingual summary,
how it scores, a TOML example), its ``Params`` model (type, default, constraints,
description, whether the field names a fact) and its ``reasons``. A provider's page
adds its record sets (roles, columns, keys) and its outputs. ``tests/project/test_docs.py``
calls :func:`render` too, so the page cannot drift from the code unnoticed.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import re
import sys
import types
import typing
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from cchc_rules.kinds import CriterionKind, Reason, fact_fields
from cchc_rules.providers import DeriveContext, FactProvider, RecordSchema
from cchc_rules.scoring._builtin import BUILTIN_KINDS

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "kinds.md"
COMMAND = "python tools/gen_kinds_doc.py"
# The plugin packages of plugins/ (installed by run.py), documented beside the built-ins.
BUNDLED_PLUGINS = ("cchc_plugin_example", "cchc_ttcp_criteria")

_CONSTRAINTS: tuple[tuple[type[Any], str, str], ...] = (
    (annotated_types.Gt, "gt", "> {}"),
    (annotated_types.Ge, "ge", "≥ {}"),
    (annotated_types.Lt, "lt", "< {}"),
    (annotated_types.Le, "le", "≤ {}"),
    (annotated_types.MinLen, "min_length", "at least {} item(s)"),
    (annotated_types.MaxLen, "max_length", "at most {} item(s)"),
)
_SCALARS: dict[Any, str] = {
    str: "text",
    bool: "boolean",
    int: "integer",
    Decimal: "number",
    dt.date: "date",
}


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _number(value: object) -> str:
    """A number as a ruleset would write it: ``100``, ``0.5`` (never ``1E+2``)."""
    if not isinstance(value, Decimal):
        return str(value)
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return str(value.normalize())


def _type_text(annotation: Any, *, names_fact: bool) -> tuple[str, list[type[BaseModel]]]:
    """How a field's type reads in the docs, and the nested models it refers to."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_text(args[0], names_fact=names_fact)
    if origin in (typing.Union, types.UnionType):
        # ``X | None`` reads as X: the default column says "not set".
        parts = [_type_text(arg, names_fact=names_fact) for arg in args if arg is not type(None)]
        return " or ".join(text for text, _ in parts), [m for _, inner in parts for m in inner]
    if origin is typing.Literal:
        return " or ".join(f'`"{arg}"`' for arg in args), []
    if origin is list:
        item, nested = _type_text(args[0], names_fact=False)
        return f"list of {item}", nested
    if origin is dict:
        value, nested = _type_text(args[1], names_fact=False)
        bounds = [
            template.format(_number(getattr(item, attribute)))
            for part in typing.get_args(args[1])[1:]
            for item in getattr(part, "metadata", [part])
            for constraint, attribute, template in _CONSTRAINTS
            if isinstance(item, constraint)
        ]
        shown = f"{value} ({', '.join(bounds)})" if bounds else value
        return f"table of name = {shown}", nested
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return f"[`{annotation.__name__}`](#{annotation.__name__.lower()})", [annotation]
    if names_fact:
        return "fact name", []
    return _SCALARS.get(annotation, str(annotation)), []


def _default_text(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    value = info.get_default(call_default_factory=True)
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, list):
        return "`[]`" if not value else f"`{value!r}`"
    return f"`{_number(value)}`"


def _constraints_text(info: FieldInfo) -> str:
    found = []
    for item in info.metadata:
        for constraint, attribute, template in _CONSTRAINTS:
            if isinstance(item, constraint):
                found.append(template.format(_number(getattr(item, attribute))))
    return ", ".join(found)


def _params_section(model: type[BaseModel], heading: str) -> list[str]:
    """A table of ``model``'s fields, then one for each model nested in it."""
    facts = set(fact_fields(model))
    lines = [
        heading,
        "",
        "| parameter | type | default | constraints | names a fact | description |",
        "|---|---|---|---|---|---|",
    ]
    nested: list[type[BaseModel]] = []
    for name, info in model.model_fields.items():
        type_text, inner = _type_text(info.annotation, names_fact=name in facts)
        nested.extend(model for model in inner if model not in nested)
        cells = (
            f"`{name}`",
            type_text,
            _default_text(info),
            _constraints_text(info),
            "yes" if name in facts else "",
            info.description or "",
        )
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    for inner_model in nested:
        lines += ["", *_params_section(inner_model, f"#### {inner_model.__name__}")]
    return lines


def _reasons_section(reasons: Sequence[Reason]) -> list[str]:
    lines = [
        "### Reasons",
        "",
        "`{…}` fields are filled for each unit; a hint says what would raise the points.",
        "",
        "| code | Tiếng Việt | English |",
        "|---|---|---|",
    ]
    for reason in reasons:
        vi, en = reason.vi, reason.en
        if reason.hint_vi or reason.hint_en:
            vi += f"<br>*Gợi ý:* {reason.hint_vi}"
            en += f"<br>*Hint:* {reason.hint_en}"
        lines.append(f"| `{reason.code}` | {_cell(vi)} | {_cell(en)} |")
    return lines


def _markdown(docstring: str) -> list[str]:
    """A kind's reST docstring as Markdown: inline literals, and ``::`` blocks fenced."""
    lines: list[str] = []
    source = docstring.splitlines()
    index = 0
    while index < len(source):
        line = source[index].replace("``", "`")
        index += 1
        if not line.endswith("::"):
            lines.append(line)
            continue
        lines += [line[:-1], "", "```toml"]
        block: list[str] = []
        while index < len(source) and (not source[index].strip() or source[index][0] == " "):
            block.append(source[index])
            index += 1
        lines += [*inspect.cleandoc("\n".join(block)).splitlines(), "```"]
        if index < len(source):
            lines.append("")
    return lines


def _kind_section(kind: type[CriterionKind[Any]]) -> list[str]:
    if kind.stacks():
        path = "`stacked` (all of a ruleset's criteria of the kind in one call, columns)"
    elif kind.has_batch_path():
        path = "`score_batch` (columns)"
    else:
        path = "`score_unit` (one unit)"
    return [
        f"## {kind.name}",
        "",
        f"{kind.summary['en']} / *{kind.summary['vi']}*",
        "",
        f"Scoring path: {path}.",
        "",
        *_markdown(inspect.getdoc(kind) or ""),
        "",
        *_params_section(kind.Params, "### Parameters"),
        "",
        *_reasons_section(kind.reasons),
    ]


def _bundled() -> tuple[list[type[CriterionKind[Any]]], list[type[FactProvider[Any]]]]:
    """The kinds and providers the bundled plugin packages register, in their order."""
    kinds: list[type[CriterionKind[Any]]] = []
    providers: list[type[FactProvider[Any]]] = []
    for name in BUNDLED_PLUGINS:
        module = importlib.import_module(name)
        kinds.extend(getattr(module, "cchc_register_kinds", list)())
        providers.extend(getattr(module, "cchc_register_fact_providers", list)())
    return kinds, providers


def _schema_section(role: str, schema: RecordSchema) -> list[str]:
    rules = []
    if schema.unit_column:
        rules.append(f"unit column `{schema.unit_column}`")
    if schema.key:
        rules.append(f"unique `{' + '.join(schema.key)}`")
    rules += [f"`{a}` ≤ `{b}`" for a, b in schema.ordered]
    lines = [
        f"#### Record set `{role}` — {schema.description['en']} / *{schema.description['vi']}*",
        "",
        *([f"Rules: {'; '.join(rules)}.", ""] if rules else []),
        "| column | type | required | description |",
        "|---|---|---|---|",
    ]
    for name, column in schema.columns.items():
        kind = column.type + (f" ({', '.join(column.choices)})" if column.choices else "")
        lines.append(
            f"| `{name}` | {_cell(kind)} | {'yes' if column.required else ''} "
            f"| {_cell(column.description)} |"
        )
    return lines


def _provider_section(provider: type[FactProvider[Any]]) -> list[str]:
    # Outputs are declared by a bound provider; unvalidated parameters are enough here.
    bound = provider(provider.Params.model_construct(), DeriveContext.for_year(2020))
    lines = [
        f"## {provider.name}",
        "",
        f"{provider.summary['en']} / *{provider.summary['vi']}*",
        "",
        *_markdown(inspect.getdoc(provider) or ""),
        "",
        *_params_section(provider.Params, "### Parameters"),
        "",
        "### Record sets",
    ]
    for role, schema in provider.record_sets.items():
        lines += ["", *_schema_section(role, schema)]
    lines += ["", "### Outputs (derived facts)", "", "| output | type | English | Tiếng Việt |"]
    lines.append("|---|---|---|---|")
    for name, output in bound.outputs().items():
        lines.append(
            f"| `{name}` | {output.type} | {_cell(output.description['en'])} "
            f"| {_cell(output.description['vi'])} |"
        )
    return lines


def render() -> str:
    """The whole of ``docs/kinds.md``."""
    lines = [
        "<!-- Generated from the code by tools/gen_kinds_doc.py: edit the kinds' docstrings, "
        "Params and reasons, then run it again. -->",
        "",
        "# Criterion kinds / Các loại tiêu chí",
        "",
        'The kinds a ruleset can name in `kind = "…"`: built-in, then from the plugin '
        "packages bundled in `plugins/`. Other plugins add more "
        "(`cchc plugins list` shows every kind installed); see "
        "[plugin_hooks.md](plugin_hooks.md) to write one.",
        "",
        "| kind | what it does | cách chấm |",
        "|---|---|---|",
    ]
    plugin_kinds, providers = _bundled()
    for kind in (*BUILTIN_KINDS, *plugin_kinds):
        lines.append(
            f"| [`{kind.name}`](#{kind.name}) | {_cell(kind.summary['en'])} "
            f"| {_cell(kind.summary['vi'])} |"
        )
    lines += [
        "",
        "Fact providers derive facts from record sets before scoring "
        "([ruleset-format.md](ruleset-format.md#record-sets-and-fact-providers)):",
        "",
        "| provider | what it derives | nội dung |",
        "|---|---|---|",
    ]
    for provider in providers:
        lines.append(
            f"| [`{provider.name}`](#{provider.name}) | {_cell(provider.summary['en'])} "
            f"| {_cell(provider.summary['vi'])} |"
        )
    for kind in BUILTIN_KINDS:
        lines += ["", *_kind_section(kind)]
    lines += ["", "# Kinds from the bundled plugins"]
    for kind in plugin_kinds:
        lines += ["", *_kind_section(kind)]
    lines += ["", "# Fact providers / Nguồn dữ kiện"]
    for provider in providers:
        lines += ["", *_provider_section(provider)]
    text = "\n".join(lines) + "\n"
    # Docstring paragraphs end in blank lines of their own; keep one between blocks.
    return re.sub(r"\n{3,}", "\n\n", text)


def is_stale(path: Path = OUTPUT) -> bool:
    """Whether ``path`` differs from what :func:`render` writes (or is missing)."""
    return not path.exists() or path.read_text(encoding="utf-8") != render()


def main(argv: Sequence[str]) -> int:
    if list(argv) == ["--check"]:
        if is_stale():
            print(f"{OUTPUT.relative_to(ROOT)} is stale: run {COMMAND}", file=sys.stderr)
            return 1
        return 0
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
