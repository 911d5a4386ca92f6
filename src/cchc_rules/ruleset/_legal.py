"""Legal references with versions: each ``legal_ref = { ref = NAME }`` gets the text in force.

A ruleset names a legal standard once in ``[legal_refs]`` with the versions of its
text; a criterion cites it by name, and the document cited is the version in force on
the ruleset's reference date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from cchc_rules._diagnostics import KeyPath, listed, readable_path, shown
from cchc_rules.errors import Problem, RulesetError
from cchc_rules.ruleset._models import first_period, raw_tree
from cchc_rules.ruleset._origin import Located

__all__ = ["fill_legal_refs", "reference_date"]


def reference_date(data: Mapping[str, Any]) -> dt.date | None:
    """The day whose legal texts a ruleset cites: the last day of its first period.

    NOTE: the newer text applies (guidance 383/BNV-CCHC): a decree in force by the end
    of the year assessed is the standard that year is assessed against.
    """
    year = first_period(data)
    return None if year is None else dt.date(year, 12, 31)


def fill_legal_refs(located: Located) -> None:
    """Give every ``legal_ref = { ref = NAME }`` the document of the version in force.

    Raises :class:`RulesetError` for unknown names and names with no version in force.
    """
    data = located.data
    on = reference_date(data)
    catalogue = data.get("legal_refs")
    catalogue = catalogue if isinstance(catalogue, dict) else {}
    problems: list[Problem] = []
    for path, legal_ref in _legal_refs(data):
        name = legal_ref.get("ref")
        if not isinstance(name, str) or on is None:
            continue
        text = catalogue.get(name)
        where = readable_path(data, path)[1] + ".ref"
        if not isinstance(text, dict):
            known = listed(catalogue) or "none"
            problems.append(
                Problem(
                    # Located only for a problem: lines are scanned on first use.
                    *located.locate((*path, "ref")),
                    where,
                    f"unknown legal reference {shown(name)} (declared in [legal_refs]: {known})",
                )
            )
            continue
        versions = [
            v
            for v in text.get("versions") or []
            if isinstance(v, dict) and isinstance(v.get("in_force_from"), dt.date)
        ]
        in_force = [v for v in versions if v["in_force_from"] <= on]
        if not in_force:
            problems.append(
                Problem(
                    *located.locate((*path, "ref")),
                    where,
                    f"no version of {shown(name)} is in force on {on.isoformat()}",
                )
            )
            continue
        chosen = max(in_force, key=lambda v: v["in_force_from"])
        legal_ref["document"] = chosen.get("document")
        title = chosen.get("title") or text.get("title")
        if title is not None:
            legal_ref["title"] = title
    if problems:
        raise RulesetError(problems)


def _legal_refs(data: Mapping[str, Any]) -> Iterator[tuple[KeyPath, dict[str, Any]]]:
    """Each criterion's ``legal_ref`` table, with its path (areas cite none)."""
    for node in raw_tree(data.get("areas")):
        if node.is_criterion and isinstance(node.table.get("legal_ref"), dict):
            yield (*node.path, "legal_ref"), node.table["legal_ref"]
