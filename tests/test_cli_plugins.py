"""``cchc plugins list`` shows what each fact provider derives: its outputs, typed and
labelled in both languages, read from the provider itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from cchc_rules._cli import app
from cchc_rules._cli._app import state
from cchc_rules._plugins import load_plugins
from cchc_rules.providers import DeriveContext

WIDE = 1000
"""Terminal width: no cell wraps, so a label's lines are its Vietnamese and English texts."""

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


@pytest.fixture
def list_plugins(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    def invoke(*options: str) -> Result:
        # The consoles are made at import; fresh ones fix the width.
        monkeypatch.setattr(state, "out", Console(width=WIDE))
        monkeypatch.setattr(state, "err", Console(stderr=True, width=WIDE))
        return CliRunner().invoke(app, [*options, "plugins", "list"])

    return invoke


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
