"""Sizes the report commands state in their help: a module of constants alone, so the
command line's help reads them without importing the writers."""

from __future__ import annotations

__all__ = ["UNIT_SECTIONS_MAX"]

UNIT_SECTIONS_MAX = 2_000
"""Units up to which a report has its unit sections unless told otherwise.

NOTE: each section is one ``Scorecards.explain`` (a few milliseconds: ~40 reasons
rendered per unit); 10,000 sections take about a minute and make a 160 MB page no
browser scrolls comfortably, where the summary and table take seconds. Above this the
unit scorecards (``cchc scorecards``, one file per unit) carry them."""
