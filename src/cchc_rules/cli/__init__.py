"""The ``cchc`` command line.

Exit codes scripts can rely on: 0 success; 1 invalid input (ruleset, units, plugin,
output file); 2 usage error (unknown option, missing argument).
"""

from __future__ import annotations

# Importing the command modules registers their commands on the application.
from cchc_rules.cli import (
    _campaign,
    _compare,
    _evaluate,
    _plugins,
    _report,
    _rulesets,
    _runs,
    _stored,
    _template,
)
from cchc_rules.cli._app import app, defer_collection

__all__ = ["app", "main"]
_COMMAND_MODULES = (
    _campaign,
    _compare,
    _evaluate,
    _plugins,
    _report,
    _rulesets,
    _runs,
    _stored,
    _template,
)


def main() -> None:
    """Console-script entry point."""
    defer_collection()
    app()
