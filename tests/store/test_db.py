"""The store's core: migrations on open, append-only events, concurrency, transactions."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from cchc_rules.store._db import (
    ConflictError,
    NewRun,
    Store,
    StoreError,
    canonical_json,
    sha256_hex,
)
from cchc_rules.store._location import store_url
from cchc_rules.store._schema import blobs, events, metadata, runs


def test_opening_creates_the_schema_by_migration_and_again_changes_nothing(location: str) -> None:
    with Store(location) as first:
        with first.engine.connect() as connection:
            tables = set(sa.inspect(connection).get_table_names())
            version = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            assert version.scalar() == "0002"
        assert {"events", "blobs", "runs", "alembic_version"} <= tables
        first.append("c", "opened", {"n": 1}, who="An", why=None, based_on=0)
    with Store(location) as again:
        assert [e.kind for e in again.events("c")] == ["opened"]


def test_the_migrations_build_exactly_the_tables_the_code_declares(store: Store) -> None:
    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_an_event_records_who_when_why_and_the_hash_of_its_payload(store: Store) -> None:
    event = store.append(
        "2019",
        "opened",
        {"b": [1, "x"], "a": Decimal("7.25")},
        who=" An ",
        why="kế hoạch",
        based_on=0,
    )
    (read,) = store.events("2019")
    assert read == event
    assert read.who == "An" and read.why == "kế hoạch"
    assert read.when.endswith("Z") and read.when[:4].isdigit()
    assert read.payload_text == '{"a":"7.25","b":[1,"x"]}'
    assert read.payload_sha256 == sha256_hex(read.payload_text.encode()) and read.intact
    assert read.payload == {"a": "7.25", "b": [1, "x"]}


def test_who_is_required(store: Store) -> None:
    with pytest.raises(StoreError, match="who makes the change"):
        store.append("c", "opened", {}, who="  ", why=None, based_on=0)


def test_a_writer_based_on_an_old_event_gets_a_conflict_and_writes_nothing(location: str) -> None:
    with Store(location) as mine, Store(location) as theirs:
        opened = mine.append("c", "opened", {}, who="An", why=None, based_on=0)
        # Both read the campaign at the same event; they write one after the other.
        base = mine.last_event_id("c")
        assert theirs.last_event_id("c") == base == opened.id
        theirs.append("c", "appraised", {"by": "Bình"}, who="Bình", why=None, based_on=base)
        with pytest.raises(ConflictError, match=r"changed after event #\d+.*appraised by Bình"):
            mine.append(
                "c",
                "appraised",
                {"by": "An"},
                who="An",
                why=None,
                based_on=base,
                inputs={"x": b"x"},
            )
        assert [e.payload for e in mine.events("c")] == [{}, {"by": "Bình"}]
        with mine.engine.connect() as connection:
            assert connection.execute(sa.select(sa.func.count()).select_from(blobs)).scalar() == 0


def test_the_unique_base_stops_a_writer_whose_check_raced(store: Store) -> None:
    """Even past the check (two writers checked before either inserted), the database's
    unique (campaign, based_on) lets only one insert through."""
    store.append("c", "opened", {}, who="An", why=None, based_on=0)
    with store.transaction() as connection:
        connection.execute(
            events.insert().values(
                campaign="c",
                based_on=1,
                kind="x",
                who="B",
                when="t",
                payload="{}",
                payload_sha256=sha256_hex(b"{}"),
                chain_sha256="",
            )
        )
    with pytest.raises(sa.exc.IntegrityError), store.transaction() as connection:
        connection.execute(
            events.insert().values(
                campaign="c",
                based_on=1,
                kind="y",
                who="C",
                when="t",
                payload="{}",
                payload_sha256=sha256_hex(b"{}"),
                chain_sha256="",
            )
        )


def test_opening_a_campaign_twice_is_refused(store: Store) -> None:
    store.append("c", "opened", {}, who="An", why=None, based_on=0)
    with pytest.raises(ConflictError, match="campaign 'c' already exists"):
        store.append("c", "opened", {}, who="Bình", why=None, based_on=0)
    assert store.campaigns() == ["c"]


def test_an_interrupted_change_leaves_the_store_as_it_was(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.append("c", "opened", {}, who="An", why=None, based_on=0)
    real_insert = runs.insert

    def failing_insert() -> sa.Insert:
        raise RuntimeError("power cut")

    # The event and its blob are written, then the run fails: all of it rolls back.
    monkeypatch.setattr(runs, "insert", failing_insert)
    run = NewRun("c/1", 1, None, "{}", "{}")
    with pytest.raises(RuntimeError, match="power cut"):
        store.append(
            "c", "published", {}, who="An", why=None, based_on=1, inputs={"h": b"data"}, run=run
        )
    monkeypatch.setattr(runs, "insert", real_insert)
    assert [e.kind for e in store.events("c")] == ["opened"]
    assert store.runs() == []
    with pytest.raises(StoreError, match="no stored input"):
        store.blob("h")
    # …and the same change goes through afterwards.
    store.append(
        "c", "published", {}, who="An", why=None, based_on=1, inputs={"h": b"data"}, run=run
    )
    assert store.blob("h") == b"data"
    (stored,) = store.runs("c")
    assert stored.id == "c/1" and stored.results_sha256 == sha256_hex(b"{}")


def test_canonical_json_is_one_text_per_value_and_refuses_floats() -> None:
    assert canonical_json({"b": Decimal("1.50"), "a": "ý"}) == '{"a":"ý","b":"1.50"}'
    with pytest.raises(TypeError, match="canonical"):
        canonical_json({"x": 0.1})


def test_store_locations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CCHC_STORE", raising=False)
    assert store_url() == f"sqlite:///{tmp_path / 'cchc.db'}"
    monkeypatch.setenv("CCHC_STORE", "other.db")
    assert store_url() == f"sqlite:///{tmp_path / 'other.db'}"
    assert store_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert store_url("sqlite:///x.db") == "sqlite:///x.db"


def test_a_store_of_a_newer_schema_is_refused_clearly(location: str) -> None:
    with Store(location) as store, store.transaction() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match=r"schema \(9999\) is newer than this cchc-rules knows"):
        Store(location)


def test_importing_cchc_rules_or_its_command_line_loads_no_database_code() -> None:
    # Only commands that open a store pay for SQLAlchemy and Alembic (cchc_rules.store).
    code = (
        "import sys, cchc_rules, cchc_rules.api, cchc_rules.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'alembic')))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert found.strip() == "[]"
