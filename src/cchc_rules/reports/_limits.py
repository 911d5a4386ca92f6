"""Sizes the report commands state in their help: a module of constants alone, so the
command line's help reads them without importing the writers."""

from __future__ import annotations

__all__ = ["UNIT_SECTIONS_MAX"]

UNIT_SECTIONS_MAX = 5_000
"""Units up to which a report has its unit sections unless told otherwise.

NOTE (docs/decisions/0031-report-from-the-store.md): the sections are explained in one
batch and their rows built once per distinct row, so time is no longer what limits
them; size is: about 14 KB of HTML per unit, so 5,000 units make a ~70 MB page a
browser still opens and 10,000 a ~160 MB one. Above this the unit scorecards
(``cchc scorecards``, one file per unit) carry them, or ``--unit-sections``."""
