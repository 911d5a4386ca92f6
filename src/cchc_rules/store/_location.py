"""Where the store is: a SQLite file path or a database URL (no database code here)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DEFAULT_STORE", "STORE_ENV", "store_url"]

DEFAULT_STORE = "cchc.db"
"""The store when none is named: a SQLite file in the current directory."""
STORE_ENV = "CCHC_STORE"


def store_url(location: str | Path | None = None) -> str:
    """A SQLAlchemy URL: ``location`` as given when it is one, else a SQLite file path;
    by default ``$CCHC_STORE``, else ``cchc.db`` in the current directory.

    NOTE: a bare ``postgresql://`` URL uses psycopg 3 (the ``postgresql`` extra), not
    SQLAlchemy's default psycopg2.
    """
    text = str(location) if location is not None else os.environ.get(STORE_ENV) or DEFAULT_STORE
    if "://" in text:
        if text.startswith("postgresql://"):
            return "postgresql+psycopg://" + text.removeprefix("postgresql://")
        return text
    return f"sqlite:///{Path(text).resolve()}"
