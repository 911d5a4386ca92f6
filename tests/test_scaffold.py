"""``cchc plugins new`` writes a plugin package that passes its own tests untouched.

Installing it into a fresh virtual environment takes minutes (pip resolving numpy,
pyarrow, polars…), so its tests run with ``PYTHONPATH`` at the scaffold's ``src`` in a
subprocess instead; the entry point is checked by loading the package as a plugin.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from typer.testing import CliRunner

from cchc_rules._cli import app
from cchc_rules._plugins import load_plugins


def test_the_scaffold_passes_its_own_tests(tmp_path: Path) -> None:
    target = tmp_path / "cchc-staff-quota"
    result = CliRunner().invoke(app, ["plugins", "new", "cchc-staff-quota", "--dir", str(target)])
    assert result.exit_code == 0, result.output
    pyproject = tomllib.loads((target / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["entry-points"]["cchc_rules"] == {"staff_quota": "cchc_staff_quota"}
    env = {**os.environ, "PYTHONPATH": str(target / "src")}
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(target / "tests")],
        cwd=target,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "4 passed" in tests.stdout
    # What the entry point names registers its kind through the plugin manager.
    check = (
        "import cchc_staff_quota as m; from cchc_rules._plugins import PluginInfo, load_plugins;"
        "r = load_plugins(extra=[(PluginInfo('staff_quota', None, None, 'scaffold'), m)]);"
        "print(r.kinds['staff_quota'].plugin.source)"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", check], env=env, capture_output=True, text=True, timeout=120
    )
    assert loaded.stdout.strip() == "scaffold", loaded.stderr


def test_the_scaffold_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("", encoding="utf-8")
    result = CliRunner().invoke(app, ["plugins", "new", "x", "--dir", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert load_plugins().kinds  # nothing was registered by the refused scaffold
