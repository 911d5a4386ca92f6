"""Stores to test on: a SQLite file always, PostgreSQL when CCHC_TEST_POSTGRES_URL names
a database the tests may empty (every table of the store is dropped first)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from cchc_rules.store._db import Store, store_url
from cchc_rules.store._schema import metadata

POSTGRES = os.environ.get("CCHC_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", *(["postgresql"] if POSTGRES else [])])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where a fresh, empty store lives."""
    if request.param == "sqlite":
        yield str(tmp_path / "cchc.db")
        return
    assert POSTGRES is not None
    engine = sa.create_engine(store_url(POSTGRES))
    with engine.begin() as connection:
        metadata.drop_all(connection)
        connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    yield POSTGRES


@pytest.fixture
def store(location: str) -> Iterator[Store]:
    with Store(location) as opened:
        yield opened
