"""Fixtures shared by the test packages (one per layer: ruleset/, inputs/, scoring/, …).

Golden data stays beside this file, shared by the layers that read it:
``rulesets/`` (whole rulesets and amendments with their resolved forms and errors) and
``cases/`` (golden cases per criterion kind and for the expression language).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from cchc_rules import cli
from cchc_rules.cli._app import Consoles

WIDE = 1000
"""Columns of the terminal the CLI runs in: wide enough that no table wraps."""

Invoke = Callable[..., Result]


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
