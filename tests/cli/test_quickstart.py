"""The README's first quick-start command: what `python3 run.py demo` runs must work."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from typer.testing import CliRunner

from cchc_rules import cli as _cli

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_commands_of_run_py_succeed() -> None:
    spec = importlib.util.spec_from_file_location("run_script", ROOT / "run.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    runner = CliRunner()
    env = {"COLUMNS": "160", "CCHC_LANG": None, "CCHC_RULESETS_DIR": None}
    evaluated = runner.invoke(_cli.app, ["evaluate", script.DEMO_RULESET, "demo"], env=env)
    assert evaluated.exit_code == 0, evaluated.stderr
    assert "TTCP-TAPCHI" in evaluated.stdout
    explained = runner.invoke(
        _cli.app, ["explain", script.DEMO_RULESET, "demo", script.DEMO_UNIT], env=env
    )
    assert explained.exit_code == 0, explained.stderr
    assert "•" in explained.stdout  # the evidence behind lost points
