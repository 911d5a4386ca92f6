"""``cchc plugins new`` writes a plugin package that passes its own tests untouched.

Installing it into a fresh virtual environment takes minutes (pip resolving numpy,
pyarrow, polars…). So one test runs its tests with ``PYTHONPATH`` at the scaffold's
``src``; another has pip build and install the package alone (``--no-deps``, offline)
into a directory that a subprocess puts on ``PYTHONPATH``, beside this environment's
cchc-rules, and finds the plugin through its entry point as an installed one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cchc_rules._plugins import load_plugins
from cchc_rules.cli import app


def scaffold(tmp_path: Path) -> Path:
    target = tmp_path / "cchc-staff-quota"
    result = CliRunner().invoke(app, ["plugins", "new", "cchc-staff-quota", "--dir", str(target)])
    assert result.exit_code == 0, result.output
    return target


def run_tests(target: Path, env: dict[str, str]) -> None:
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


def test_the_scaffold_passes_its_own_tests(tmp_path: Path) -> None:
    target = scaffold(tmp_path)
    pyproject = tomllib.loads((target / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["entry-points"]["cchc_rules"] == {"staff_quota": "cchc_staff_quota"}
    env = {**os.environ, "PYTHONPATH": str(target / "src")}
    run_tests(target, env)
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


def test_the_installed_scaffold_is_found_by_its_entry_point_and_passes_its_tests(
    tmp_path: Path,
) -> None:
    pytest.importorskip(
        "hatchling.build",
        reason="hatchling is not installed here: the scaffold builds with it, and pip "
        "--no-build-isolation (offline) takes the build backend from this environment",
    )
    target = scaffold(tmp_path)
    site = tmp_path / "site"
    installed = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
            *("--no-deps", "--no-build-isolation", "--no-index", "--no-cache-dir"),
            *("--target", str(site), str(target)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (site / "cchc_staff_quota" / "py.typed").is_file()  # the wheel ships it: PEP 561
    # Without its source tree, the package can only be imported from the install.
    shutil.rmtree(target / "src")
    paths = [str(site), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(paths),
        "COLUMNS": "400",
        "PYTHONIOENCODING": "utf-8",
    }
    listed = subprocess.run(
        [sys.executable, "-m", "cchc_rules", "plugins", "list"],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    [row] = [line for line in listed.stdout.splitlines() if line.startswith("│ staff_quota ")]
    # Distribution, version and entry point: what only entry-point discovery knows.
    assert "cchc-staff-quota 0.1.0 [staff_quota]" in row
    run_tests(target, env)


def test_the_scaffold_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("", encoding="utf-8")
    result = CliRunner().invoke(app, ["plugins", "new", "x", "--dir", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert load_plugins().kinds  # nothing was registered by the refused scaffold
