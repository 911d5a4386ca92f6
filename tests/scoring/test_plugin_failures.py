"""A plugin's kind that fails, or returns points the engine cannot take, stops the run
with one line naming the plugin (distribution and version, or its file), the criterion
and the first unit it was scoring: never a traceback, never a NaN or a truncated float
written and ranked. Also through ``--workers``, where the kind fails in another process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import Result

Invoke = Callable[..., Result]
Refused = Callable[..., list[str]]

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "tests" / "rulesets" / "valid" / "minimal.toml"

PLUGIN = '''
import math
from decimal import Decimal

import numpy as np

from cchc_rules.hookspecs import hookimpl
from cchc_rules.kinds import BatchScore, CriterionKind, FactName, KindParams, Reason, UnitScore

CCHC_PLUGIN_API = 3


class HostileParams(KindParams):
    fact: FactName
    mode: str


class Hostile(CriterionKind[HostileParams]):
    """Fails as its parameters say."""

    name = "hostile"
    Params = HostileParams
    reasons = (Reason("done", vi="Xong", en="Done"),)

    def fact_types(self):
        return {self.params.fact: ("boolean",)}

    def input_problems(self, batch):
        if self.params.mode == "input_problems raises":
            raise KeyError("plan")
        return []

    def score_batch(self, batch):
        mode = self.params.mode
        if mode == "score_batch raises":
            return 1 // 0
        points = {
            "nan": np.full(batch.size, math.nan),
            "float": np.full(batch.size, 50.7),
            "list": [100] * batch.size,
            "short": np.zeros(batch.size - 1, dtype=np.int64),
            "explain_values raises": np.zeros(batch.size, dtype=np.int64),
        }[mode]
        return BatchScore(points, np.zeros(batch.size, dtype=np.int16))

    def explain_values(self, facts):
        if self.params.mode == "explain_values raises":
            raise ValueError("no words for it")
        return {}



class HostileUnit(Hostile):
    """The simple path: one unit at a time, adapted by the engine."""

    name = "hostile_unit"
    score_batch = CriterionKind.score_batch

    def score_unit(self, facts):
        if self.params.mode == "score_unit raises":
            raise RuntimeError("no registry")
        return UnitScore(0.5, "done")


class HostileScorer:
    def __init__(self, mode):
        self.mode = mode

    def score(self, batch, points, reasons):
        if self.mode == "stack score raises":
            raise RuntimeError("no rows")
        points[:] = 0
        reasons[:] = 0
        if self.mode == "stack points above":
            points[0, -1] = 101
        if self.mode == "stack reason undeclared":
            reasons[0, 1] = 7
        if self.mode == "stack applicable list":
            return [True] * batch.size
        if self.mode == "stack applicable short":
            return np.ones((1, batch.size - 1), dtype=bool)
        return None


class HostileStack(Hostile):
    """The stacked path: every criterion of the kind over a batch in one call."""

    name = "hostile_stack"
    score_batch = CriterionKind.score_batch

    @classmethod
    def stacked(cls, kinds):
        mode = kinds[0].params.mode
        if mode == "stacked raises":
            raise LookupError("no stack")
        if mode == "stacked junk":
            return 42
        return HostileScorer(mode)


@hookimpl
def cchc_register_kinds():
    return [Hostile, HostileUnit, HostileStack]
'''


def _kind(mode: str) -> str:
    if mode.startswith("score_unit"):
        return "hostile_unit"
    return "hostile_stack" if mode.startswith("stack") else "hostile"


def ruleset(directory: Path, mode: str) -> Path:
    """The minimal ruleset, its one criterion scored by the hostile kind in ``mode``."""
    text = MINIMAL.read_text(encoding="utf-8")
    kind = _kind(mode)
    text = text.replace('kind = "flag"', f'kind = "{kind}"').replace(
        'params = { fact = "plan_issued" }', f'params = {{ fact = "plan_issued", mode = "{mode}" }}'
    )
    path = directory / "hostile.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(name="plugins")
def plugins_fixture(tmp_path: Path) -> Path:
    directory = tmp_path / "plugins"
    directory.mkdir()
    (directory / "hostile_plugin.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    return directory


UNITS = "unit_id,name,unit_type,plan_issued\nU1,Một,cuc,true\nU2,Hai,cuc,false\nU3,Ba,cuc,true\n"

FAILURES = {
    "score_batch raises": "failed in score_batch for 3 units from U1: "
    "ZeroDivisionError: integer division or modulo by zero",
    "input_problems raises": "failed in input_problems for 3 units from U1: KeyError: 'plan'",
    "score_unit raises": "failed in score_unit for 3 units from U1: RuntimeError: no registry",
    "score_unit float": "failed in score_unit for 3 units from U1: TypeError: returned points "
    "0.5 as float; points must be exact (a Decimal or an int)",
    "nan": "returned non-finite points (NaN or infinity)",
    "float": "returned float points; points must be exact integers of 1/100",
    "list": "returned points as list (expected an int64 array)",
    "short": "returned points of shape (2,) (expected 3 entries, one per unit)",
    "stacked raises": "failed in stacked: LookupError: no stack",
    "stacked junk": "returned int from stacked (expected None or an object with a score method)",
    "stack score raises": "failed in stacked scoring for 3 units from U1: RuntimeError: no rows",
    "stack points above": "returned 1.01 points, outside 0 … 1",
    "stack reason undeclared": "returned a reason code it does not declare",
    "stack applicable list": "returned applicable as list (expected a bool array)",
    "stack applicable short": "returned applicable of shape (1, 2) (expected (1, 3), a row per "
    "criterion and a column per unit)",
}


@pytest.mark.parametrize("mode", list(FAILURES))
def test_a_failing_kind_is_named_with_its_plugin_criterion_and_units(
    refused: Refused, plugins: Path, tmp_path: Path, mode: str
) -> None:
    units = tmp_path / "units.csv"
    units.write_text(UNITS, encoding="utf-8")
    output = tmp_path / "results.csv"
    problems = refused(
        "--plugins-dir",
        str(plugins),
        "evaluate",
        str(ruleset(tmp_path, mode)),
        str(units),
        "-o",
        str(output),
    )
    plugin = plugins / "hostile_plugin.py"
    assert problems == [f"{plugin}: criterion A1: kind {_kind(mode)!r} {FAILURES[mode]}"]
    assert not output.exists()


def test_a_kind_failing_while_a_unit_is_explained_is_named_too(
    refused: Refused, plugins: Path, tmp_path: Path
) -> None:
    units = tmp_path / "units.csv"
    units.write_text(UNITS, encoding="utf-8")
    rules = str(ruleset(tmp_path, "explain_values raises"))
    problems = refused("--plugins-dir", str(plugins), "explain", rules, str(units), "U1")
    plugin = plugins / "hostile_plugin.py"
    assert problems == [
        f"{plugin}: criterion A1: kind 'hostile' failed in explain_values: "
        "ValueError: no words for it"
    ]


def test_an_installed_plugin_is_named_by_distribution_and_version(
    refused: Refused, plugins: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    dist_info = site / "cchc_hostile-1.2.3.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: cchc-hostile\nVersion: 1.2.3\n", encoding="utf-8"
    )
    (dist_info / "entry_points.txt").write_text(
        "[cchc_rules]\nhostile = hostile_plugin\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(plugins))
    monkeypatch.syspath_prepend(str(site))
    units = tmp_path / "units.csv"
    units.write_text(UNITS, encoding="utf-8")
    problems = refused("evaluate", str(ruleset(tmp_path, "nan")), str(units), "-f", "csv")
    assert problems == [
        "cchc-hostile 1.2.3 [hostile]: criterion A1: kind 'hostile' returned non-finite "
        "points (NaN or infinity)"
    ]


def test_a_kind_failing_in_a_worker_process_is_reported_by_the_coordinator(
    plugins: Path, tmp_path: Path
) -> None:
    ids = [f"U{i}" for i in range(40)]
    table = pa.table(
        {
            "unit_id": ids,
            "name": ids,
            "unit_type": ["cuc"] * 40,
            "plan_issued": [True] * 40,
        }
    )
    units = tmp_path / "units"
    units.mkdir()
    pq.write_table(table.slice(0, 20), units / "part-0.parquet")
    pq.write_table(table.slice(20), units / "part-1.parquet")
    output = tmp_path / "results.parquet"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cchc_rules",
            "--plugins-dir",
            str(plugins),
            "evaluate",
            str(ruleset(tmp_path, "score_batch raises")),
            str(units),
            "-o",
            str(output),
            "--workers",
            "2",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "400"},
        check=False,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    plugin = plugins / "hostile_plugin.py"
    first_of_piece = {"U0", "U20"}
    lines = done.stderr.splitlines()
    assert lines[0] == "error: 1 problem(s)"
    assert len(lines) == 2
    prefix = f"{plugin}: criterion A1: kind 'hostile' failed in score_batch for 20 units from "
    assert lines[1].startswith(prefix)
    assert lines[1].removeprefix(prefix).split(":")[0] in first_of_piece
    assert not output.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
