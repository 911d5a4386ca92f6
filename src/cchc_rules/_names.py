"""Names, criterion ids and versions as rulesets write them: one pattern each, for every layer.

Each pattern matches the whole text only inside ``^…$`` (or with ``re.fullmatch``);
they are written without anchors so larger patterns (``family@version``) can be built
from them.
"""

from __future__ import annotations

__all__ = ["CRITERION_ID", "NAME", "VERSION"]

NAME = r"[a-z][a-z0-9_]*"
"""A name of a family, fact, unit type, kind or provider: lowercase letters, digits and
``_``, starting with a letter."""

CRITERION_ID = r"[A-Z][A-Za-z0-9]*(\.[A-Za-z0-9]+)*"
"""An area or criterion id such as ``A``, ``A1`` or ``B2.1``."""

VERSION = r"[A-Za-z0-9][A-Za-z0-9._-]*"
"""A version of a ruleset family such as ``2018`` or ``2024-draft``."""
