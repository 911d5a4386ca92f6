"""The stacked kind of docs/plugin_hooks.md, as written there, run as a plugin: its
criteria are stacked, score every unit as its ``score_unit`` does, and pass the kit's
checks."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import Result

from cchc_rules._plugins import load_plugins
from cchc_rules.testing import assert_consistent, batches, bind, fact_columns

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "tests" / "rulesets" / "valid" / "minimal.toml"

REGISTER = """

from cchc_rules.hookspecs import hookimpl

CCHC_PLUGIN_API = 3


@hookimpl
def cchc_register_kinds():
    return [Done]
"""

SECOND = """
[[areas.criteria]]
id = "A2"
name = { vi = "Báo cáo", en = "Report" }
max_points = 2
kind = "done"
params = { fact = "report_sent" }
applies_to = ["cuc"]
"""


def documented_example() -> str:
    text = (ROOT / "docs" / "plugin_hooks.md").read_text(encoding="utf-8")
    section = text[text.index("### stacked") :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


def plugin_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "plugins"
    directory.mkdir()
    (directory / "done_plugin.py").write_text(documented_example() + REGISTER, encoding="utf-8")
    return directory


def test_the_documented_stacked_kind_scores_its_criteria_together(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    plugins = plugin_dir(tmp_path)
    kind = load_plugins(plugins).kinds["done"].kind
    assert kind.stacks()
    text = MINIMAL.read_text(encoding="utf-8")
    text = text.replace("total_points = 1", "total_points = 3")
    text = text.replace(
        "max_points = 1\n\n[[areas.criteria]]", "max_points = 3\n\n[[areas.criteria]]"
    )
    text = text.replace('kind = "flag"', 'kind = "done"') + SECOND
    text = text.replace(
        "[[grading.bands]]",
        '[facts.report_sent]\ntype = "boolean"\n'
        'description = { vi = "Đã gửi báo cáo", en = "Report sent" }\n\n[[grading.bands]]',
        1,
    )
    rules = tmp_path / "done.toml"
    rules.write_text(text, encoding="utf-8")
    units = tmp_path / "units.csv"
    units.write_text(
        "unit_id,name,unit_type,plan_issued,report_sent\n"
        "U1,Một,cuc,true,true\nU2,Hai,cuc,false,true\nU3,Ba,cuc,true,false\n",
        encoding="utf-8",
    )
    output = tmp_path / "results.csv"
    result = cli(
        "--plugins-dir", str(plugins), "evaluate", str(rules), str(units), "-o", str(output)
    )
    assert result.exit_code == 0, result.output
    rows = pacsv.read_csv(output).to_pylist()
    assert [(r["unit_id"], Decimal(str(r["total"]))) for r in rows] == [
        ("U1", Decimal(3)),
        ("U2", Decimal(2)),
        ("U3", Decimal(1)),
    ]


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_the_documented_stacked_kind_agrees_with_its_unit_path(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    kind = load_plugins(plugin_dir(tmp_path_factory.mktemp("done"))).kinds["done"].kind
    bound = bind(kind, {"fact": "ok"}, Decimal("1.5"))
    batch = data.draw(batches({"ok": lambda size: fact_columns("boolean", size)}))
    assert_consistent(bound, batch)
