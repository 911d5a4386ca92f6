"""Data shown on a terminal exactly as it is: no markup, no emoji codes, no control.

Unit names, ids, reasons quoting facts, ruleset titles and problem messages are data: a
``[bold]`` in a name or a ``:fire:`` in a fact is text to show, and ``file:100:`` is a
place, not the emoji 💯. Rich interprets markup and emoji codes only in plain strings
it renders, never in a :class:`~rich.text.Text`; so data goes to the terminal as
``Text``. Control characters are taken out first: an escape sequence in a cell would
otherwise recolour, move or clear the user's terminal.
"""

from __future__ import annotations

import re

from rich.text import Text

__all__ = ["literal", "printable"]

_ESCAPE_SEQUENCE = re.compile(
    # CSI (ESC [ … final byte, or the C1 byte 0x9b), and OSC / DCS / APC … up to the
    # string terminator or BEL: removed whole, so no half of one is left to act.
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]P_^]|[\x90\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""C0 controls but tab and newline, DEL, and C1 controls."""


def printable(text: str) -> str:
    """``text`` without terminal escape sequences and control characters (tab and
    newline stay)."""
    return _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text))


def literal(text: object, style: str = "") -> Text:
    """``text`` as a rich ``Text`` printed as it is (see the module's docstring)."""
    return Text(printable(str(text)), style=style)
