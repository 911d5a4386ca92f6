"""``cchc plugins list`` shows what each fact provider derives: its outputs, typed and
labelled in both languages, read from the provider itself; ``--format json`` writes the
same listing as one JSON document."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from cchc_rules._plugins import load_plugins
from cchc_rules.hookspecs import PLUGIN_API_VERSION
from cchc_rules.providers import DeriveContext
from cchc_rules.scoring import _builtin as _kinds

PROVIDERS = """\
from pydantic import Field

from cchc_rules.hookspecs import hookimpl
from cchc_rules.providers import Column, FactProvider, Output, ProviderParams, RecordSchema

CCHC_PLUGIN_API = 2


class Counting(FactProvider[ProviderParams]):
    record_sets = {
        "log": RecordSchema({"unit_id": Column("text", "Unit")}, {"vi": "Sổ", "en": "Log"})
    }

    def derive(self, records, units):
        raise NotImplementedError("never evaluated here")


class WithDefaults(Counting):
    name = "with_defaults"
    Params = ProviderParams

    def outputs(self):
        return {"pilots": Output("integer", {"vi": "Đơn vị [thí điểm]", "en": "[bold]Pilots"})}


class PrefixParams(ProviderParams):
    prefix: str = Field(description="Each output is named after it.")


class NamedByParams(Counting):
    name = "named_by_params"
    Params = PrefixParams

    def outputs(self):
        return {f"{self.params.prefix}_count": Output("integer", {"vi": "Số", "en": "Count"})}


@hookimpl
def cchc_register_fact_providers():
    return [WithDefaults, NamedByParams]
"""


KINDS = """\
import datetime as dt
from decimal import Decimal

from cchc_rules.hookspecs import hookimpl
from cchc_rules.kinds import CriterionKind, FactName, KindParams, Reason

CCHC_PLUGIN_API = 1


class ShareParams(KindParams):
    share: FactName
    weight: Decimal = Decimal("0.50")
    bonus: Decimal = Decimal("1E+2")
    since: dt.date = dt.date(2020, 1, 31)
    levels: list[Decimal] = [Decimal("1.0"), Decimal("2.25")]


class Share(CriterionKind[ShareParams]):
    name = "share"
    Params = ShareParams
    reasons = (Reason("met", "Đạt", "Met"),)

    def score_unit(self, facts):
        raise NotImplementedError("never evaluated here")


@hookimpl
def cchc_register_kinds():
    return [Share]
"""


@pytest.fixture
def list_plugins(cli: Callable[..., Result]) -> Callable[..., Result]:
    def invoke(*options: str, args: Sequence[str] = ()) -> Result:
        """``cchc OPTIONS plugins list ARGS``."""
        return cli(*options, "plugins", "list", *args)

    return invoke


def listed_kinds(stdout: str) -> dict[str, tuple[str, str, list[str]]]:
    """The kinds table: kind → (plugin, path, parameter lines)."""
    lines = stdout.splitlines()
    end = next(i for i, line in enumerate(lines) if "fact provider" in line)
    table: dict[str, tuple[str, str, list[str]]] = {}
    kind = ""
    for line in lines[:end]:
        if not line.startswith("│"):
            continue  # the header, and the rules between kinds and around the table
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if cells[0]:
            kind = cells[0]
            table[kind] = (cells[1], cells[2], [])
        table[kind][2].append(cells[3])
    return table


def listed_json(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def listed_outputs(stdout: str) -> dict[tuple[str, str], tuple[str, list[str]]]:
    """The outputs table: (provider, output) → (type, label lines)."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "output (derived fact)" in line)
    table: dict[tuple[str, str], tuple[str, list[str]]] = {}
    provider = output = ""
    for line in lines[start + 1 :]:
        if not line.startswith("│"):
            continue  # rules between providers and around the table
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if cells[1]:
            provider, output = cells[0] or provider, cells[1]
            table[provider, output] = (cells[2], [])
        table[provider, output][1].append(cells[3])
    return table


def test_every_output_of_every_installed_provider_is_listed(
    list_plugins: Callable[..., Result],
) -> None:
    result = list_plugins()
    assert result.exit_code == 0, result.output
    listed = listed_outputs(result.stdout)
    expected = {}
    for name, entry in load_plugins().providers.items():
        bound = entry.provider(
            entry.provider.Params.model_construct(), DeriveContext.for_year(2020)
        )
        for output, declared in bound.outputs().items():
            labels = [declared.description["vi"], declared.description["en"]]
            expected[name, output] = (declared.type, labels)
    assert ("rotation_compliance", "due") in expected  # the bundled cchc-ttcp-criteria
    assert listed == expected


def test_outputs_are_shown_literally_and_one_needing_parameters_does_not_stop_the_list(
    list_plugins: Callable[..., Result], tmp_path: Path
) -> None:
    (tmp_path / "mine.py").write_text(PROVIDERS, encoding="utf-8")
    result = list_plugins("--plugins-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    listed = listed_outputs(result.stdout)
    assert listed["with_defaults", "pilots"] == ("integer", ["Đơn vị [thí điểm]", "[bold]Pilots"])
    [(type_, [note])] = [v for (p, _), v in listed.items() if p == "named_by_params"]
    assert type_ == ""
    assert note == "depend on the parameters (AttributeError without them)"
    assert ("rotation_compliance", "due") in listed


def test_a_plugins_text_reaches_the_terminal_without_escape_sequences(
    list_plugins: Callable[..., Result], tmp_path: Path
) -> None:
    hostile = PROVIDERS.replace(
        '{"vi": "Đơn vị [thí điểm]", "en": "[bold]Pilots"}',
        '{"vi": "Cờ \\x1b[31mđỏ", "en": "Red\\x07 flag"}',
    )
    (tmp_path / "mine.py").write_text(hostile, encoding="utf-8")
    result = list_plugins("--plugins-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert listed_outputs(result.stdout)["with_defaults", "pilots"] == (
        "integer",
        ["Cờ đỏ", "Red flag"],
    )
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout


def test_json_lists_every_installed_kind_and_provider_as_the_table_does(
    list_plugins: Callable[..., Result],
) -> None:
    table = list_plugins()
    assert table.exit_code == 0, table.output
    document = listed_json(list_plugins(args=["--format", "json"]))
    registry = load_plugins()

    assert [kind["name"] for kind in document["kinds"]] == registry.names()
    kinds = listed_kinds(table.stdout)
    for kind in document["kinds"]:
        plugin, path, parameters = kinds[kind["name"]]
        assert (kind["plugin"], kind["path"]) == (plugin, path)
        # A table line is "name", "name (fact)", then " = default" unless required.
        assert [line.split(" = ")[0] for line in parameters] == [
            f"{p['name']}{' (fact)' if p['fact'] else ''}" for p in kind["parameters"]
        ]
        assert [" = " not in line for line in parameters] == [
            p["required"] for p in kind["parameters"]
        ]
        summary = registry.kinds[kind["name"]].kind.summary
        assert kind["description"] == (dict(summary) if summary else None)

    assert [provider["name"] for provider in document["providers"]] == registry.provider_names()
    outputs = {
        (provider["name"], output["name"]): (
            output["type"],
            [output["description"]["vi"], output["description"]["en"]],
        )
        for provider in document["providers"]
        for output in provider["outputs"]
    }
    assert ("rotation_compliance", "due") in outputs  # the bundled cchc-ttcp-criteria
    assert outputs == listed_outputs(table.stdout)
    for provider in document["providers"]:
        entry = registry.providers[provider["name"]]
        assert provider["plugin"] == entry.plugin.label
        assert [r["role"] for r in provider["record_sets"]] == list(entry.provider.record_sets)
        assert [p["name"] for p in provider["parameters"]] == list(
            entry.provider.Params.model_fields
        )

    assert document["plugin_api"] == PLUGIN_API_VERSION
    builtin = next(p for p in document["plugins"] if p["name"] == "builtin")
    assert builtin["distribution"] == "cchc-rules"
    assert builtin["api"] == _kinds.CCHC_PLUGIN_API
    labels = {plugin["label"] for plugin in document["plugins"]}
    assert labels == {plugin.label for plugin in registry.plugins}
    assert {kind["plugin"] for kind in document["kinds"]} <= labels


def test_json_of_plugins_from_a_directory_keeps_decimals_exact_and_text_literal(
    list_plugins: Callable[..., Result], tmp_path: Path
) -> None:
    (tmp_path / "mine.py").write_text(PROVIDERS, encoding="utf-8")
    (tmp_path / "share.py").write_text(KINDS, encoding="utf-8")
    document = listed_json(list_plugins("--plugins-dir", str(tmp_path), args=["-f", "json"]))

    plugins = {plugin["name"]: plugin for plugin in document["plugins"]}
    assert plugins["mine"] == {
        "name": "mine",
        "label": str(tmp_path / "mine.py"),
        "distribution": None,
        "version": None,
        "api": 2,
    }
    assert plugins["share"]["api"] == 1

    paths = {kind["name"]: kind["path"] for kind in document["kinds"]}
    assert paths["flag"] == "stacked"
    assert paths["deduction"] == "batch"
    [share] = [kind for kind in document["kinds"] if kind["name"] == "share"]
    assert share == {
        "name": "share",
        "plugin": str(tmp_path / "share.py"),
        "description": None,
        "path": "per unit",
        "parameters": [
            {"name": "share", "fact": True, "required": True, "default": None, "description": None},
            {
                "name": "weight",
                "fact": False,
                "required": False,
                "default": "0.5",
                "description": None,
            },
            {
                "name": "bonus",
                "fact": False,
                "required": False,
                "default": "100",
                "description": None,
            },
            {
                "name": "since",
                "fact": False,
                "required": False,
                "default": "2020-01-31",
                "description": None,
            },
            {
                "name": "levels",
                "fact": False,
                "required": False,
                "default": ["1", "2.25"],
                "description": None,
            },
        ],
    }

    providers = {provider["name"]: provider for provider in document["providers"]}
    assert providers["with_defaults"]["record_sets"] == [
        {"role": "log", "description": {"vi": "Sổ", "en": "Log"}}
    ]
    assert providers["with_defaults"]["outputs"] == [
        {
            "name": "pilots",
            "type": "integer",
            "description": {"vi": "Đơn vị [thí điểm]", "en": "[bold]Pilots"},
        }
    ]
    # The table says these depend on the parameters; the document has no outputs to give.
    assert providers["named_by_params"]["outputs"] is None
    assert providers["named_by_params"]["parameters"] == [
        {
            "name": "prefix",
            "fact": False,
            "required": True,
            "default": None,
            "description": "Each output is named after it.",
        }
    ]


def test_output_writes_the_json_atomically_and_never_replaces_a_file_unasked(
    list_plugins: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "plugins.json"
    written = list_plugins(args=["-o", str(target)])
    assert written.exit_code == 0, written.output
    assert written.stdout == ""
    assert f"wrote {target}" in written.stderr
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document == listed_json(list_plugins(args=["--format", "json"]))

    target.write_text("kept", encoding="utf-8")
    refused = list_plugins(args=["--output", str(target)])
    assert refused.exit_code == 1
    assert "pass --force to replace it" in refused.stderr
    assert target.read_text(encoding="utf-8") == "kept"

    def disk_full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(os, "fsync", disk_full)
        failed = list_plugins(args=["--output", str(target), "--force"])
    assert failed.exit_code == 1
    assert "cannot write: No space left on device" in failed.stderr
    # The listing goes to a temporary file first: a write failing half-way leaves the
    # old file whole, and no temporary file behind.
    assert target.read_text(encoding="utf-8") == "kept"
    assert [path.name for path in tmp_path.iterdir()] == ["plugins.json"]

    replaced = list_plugins(args=["--output", str(target), "--force"])
    assert replaced.exit_code == 0, replaced.output
    assert json.loads(target.read_text(encoding="utf-8")) == document
    assert [path.name for path in tmp_path.iterdir()] == ["plugins.json"]


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["-o", "plugins.txt"], "name the file .json"),
        (["-o", "plugins.csv"], "name the file .json"),
        (["--format", "table", "-o", "plugins.json"], "the table format is for the terminal"),
        (["--format", "csv"], "'csv' is not one of"),
    ],
)
def test_a_format_the_listing_cannot_write_is_a_usage_error(
    list_plugins: Callable[..., Result],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    hint: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    result = list_plugins(args=args)
    assert result.exit_code == 2
    assert hint in " ".join(result.stderr.replace("│", " ").split())
    assert list(tmp_path.iterdir()) == []
