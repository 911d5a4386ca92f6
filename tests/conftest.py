"""Fixtures shared by the test packages (one per layer: ruleset/, inputs/, scoring/, …).

Golden data stays beside this file, shared by the layers that read it:
``rulesets/`` (whole rulesets and amendments with their resolved forms and errors),
``cases/`` (golden cases per criterion kind and for the expression language) and
``evaluations/`` (whole evaluations: a ruleset, units and the outputs they give).
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
