"""Fixtures shared by the test packages (one per layer: ruleset/, inputs/, scoring/, …).

Golden data stays beside this file, shared by the layers that read it:
``rulesets/`` (whole rulesets and amendments with their resolved forms and errors),
``cases/`` (golden cases per criterion kind and for the expression language) and
``evaluations/`` (whole evaluations: a ruleset, units and the outputs they give).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from rich.console import Console
from typer.testing import CliRunner, Result

import cchc_rules
from cchc_rules import cli
from cchc_rules._plugins import CACHE_ENV
from cchc_rules.cli._app import Consoles

# The bounded fuzz tests (tests/*/test_fuzz_*.py) take this profile: the same examples on
# every run (CI sees what a developer saw), none remembered between runs, large inputs and
# function-scoped temporary directories on purpose.
settings.register_profile(
    "fuzz",
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

WIDE = 1000
"""Columns of the terminal the CLI runs in: wide enough that no table wraps."""

Invoke = Callable[..., Result]


@pytest.fixture(autouse=True, scope="session")
def _plugin_cache_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The plugin discovery cache of the test run (and the commands it starts) in a
    temporary directory, never the user's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(name="cli")
def cli_fixture() -> Invoke:
    """Run ``cchc ARGS`` in process, on a terminal ``width`` columns wide, with no
    language or rulesets directory taken from the environment running the tests."""
    runner = CliRunner()

    def invoke(*args: str, width: int = WIDE) -> Result:
        # Consoles of our own fix the width whatever the environment says.
        consoles = Consoles(Console(width=width), Console(stderr=True, width=width))
        env = {"CCHC_LANG": None, "CCHC_RULESETS_DIR": None, "COLUMNS": str(width)}
        return runner.invoke(cli.app, list(args), env=env, obj=consoles)

    return invoke


Refused = Callable[..., list[str]]


@pytest.fixture(name="refused")
def refused_fixture(cli: Invoke) -> Refused:
    """Run ``cchc ARGS`` expecting a clean refusal: exit 1 through the error handler (no
    Python exception escaped), nothing on stdout; returns the problem lines on stderr."""

    def run(*args: str) -> list[str]:
        result = cli(*args)
        assert result.exit_code == 1, result.output
        # typer's runner turns an escaped exception into exit 1 too: only SystemExit is
        # the error handler's.
        assert isinstance(result.exception, SystemExit), repr(result.exception)
        assert result.stdout == ""
        first, *problems = result.stderr.splitlines()
        assert first.startswith("error: "), result.stderr
        return problems

    return run


DemoRows = Callable[[], tuple[list[str], list[list[str]]]]
WriteCsv = Callable[[Path, list[str], list[list[str]]], Path]


@pytest.fixture(name="demo_rows")
def demo_rows_fixture() -> DemoRows:
    """The header and rows of the bundled ttcp@2018 demo units as text, a fresh copy at
    each call: the material tests damage."""
    demo = Path(cchc_rules.__file__).parent / "demo" / "ttcp_units_2018.csv"

    def read() -> tuple[list[str], list[list[str]]]:
        with demo.open(encoding="utf-8", newline="") as stream:
            header, *rows = list(csv.reader(stream))
        return header, rows

    return read


@pytest.fixture(name="write_csv")
def write_csv_fixture() -> WriteCsv:
    """Write a header and rows as a UTF-8 CSV file; returns its path."""

    def write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
        with path.open("w", encoding="utf-8", newline="") as stream:
            csv.writer(stream).writerows([header, *rows])
        return path

    return write
