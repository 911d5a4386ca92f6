"""One unit's explanation as plain text: the terminal's table, without colour."""

from __future__ import annotations

import io

from rich.console import Console

from cchc_rules.reports._terminal import explanation_table
from cchc_rules.results._scorecards import Explanation

__all__ = ["TEXT_WIDTH", "explanation_text"]

TEXT_WIDTH = 140
"""Columns of the text file: wide enough that reasons wrap rarely, narrow enough to print
landscape."""


def explanation_text(explanation: Explanation, lang: str) -> bytes:
    """The explanation as ``cchc explain`` prints it, as UTF-8 text with no escape codes."""
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=TEXT_WIDTH, color_system=None, force_terminal=False, highlight=False
    )
    console.print(explanation_table(explanation, lang))
    return buffer.getvalue().encode()
