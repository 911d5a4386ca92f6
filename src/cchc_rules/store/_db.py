"""The store: a database of append-only events, the blobs they name, and frozen runs.

A SQLite file by default; any SQLAlchemy URL (``postgresql://…``) through the same Core
code. Opening a store brings its schema up to date with the packaged Alembic
migrations. Every change is one transaction: the event, the blobs it names and the run
it freezes are written together or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from cchc_rules.errors import CchcError, Problem
from cchc_rules.store._location import STORE_ENV, store_url
from cchc_rules.store._schema import blobs, events, runs

__all__ = [
    "ConflictError",
    "Event",
    "NewRun",
    "RunRecord",
    "Store",
    "StoreError",
    "canonical_json",
    "chain_link",
    "sha256_hex",
    "utc_now",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class StoreError(CchcError):
    """A store operation the store's state refuses (no such campaign, wrong state, …)."""


class ConflictError(StoreError):
    """Another writer changed the campaign after this one read it; nothing was written."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        # A binary float has no one canonical text; exact values are Decimal strings.
        raise TypeError(f"a float ({value!r}) has no canonical form; use Decimal")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    """One text per value: sorted keys, no spaces, UTF-8 as is, decimals as strings.

    What the store hashes (event payloads, run results), so equal content gives equal
    bytes on any machine and any database.
    """
    return json.dumps(_plain(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def chain_link(previous: str, event: Mapping[str, Any]) -> str:
    """The link of ``event`` (a row of ``events``) in its campaign's hash chain.

    ``previous`` is the link of the campaign's event before it ("" for the one that
    opens it). The payload enters by the hash of its text as stored, not by the hash
    stored beside it, so editing both still breaks the chain.
    """
    fields = {
        "previous": previous,
        "campaign": event["campaign"],
        "based_on": event["based_on"],
        "kind": event["kind"],
        "who": event["who"],
        "when": event["when"],
        "why": event["why"],
        "payload": sha256_hex(str(event["payload"]).encode()),
    }
    return sha256_hex(canonical_json(fields).encode())


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Event:
    """One recorded change: who, when (UTC), why, and what (the payload)."""

    id: int
    campaign: str
    based_on: int
    kind: str
    who: str
    when: str
    why: str | None
    payload_text: str
    payload_sha256: str
    chain_sha256: str

    @property
    def payload(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.payload_text)
        return loaded

    @property
    def intact(self) -> bool:
        """Whether the payload still has the hash it was written with."""
        return sha256_hex(self.payload_text.encode()) == self.payload_sha256


@dataclass(frozen=True)
class NewRun:
    """A run to freeze with the event that publishes it."""

    id: str
    number: int
    supersedes: str | None
    results: str
    provenance: str


@dataclass(frozen=True)
class RunRecord:
    """A frozen run as stored."""

    id: str
    campaign: str
    number: int
    event_id: int
    supersedes: str | None
    results: str
    results_sha256: str
    provenance_text: str

    @property
    def provenance(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.provenance_text)
        return loaded


def migrate(connection: sa.Connection) -> None:
    """Bring the schema to the newest packaged migration (nothing to do when it is)."""
    # NOTE: imported here: only opening a store needs Alembic, and it is slow to load.
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    scripts = ScriptDirectory.from_config(config)
    current = MigrationContext.configure(connection).get_current_revision()
    if current == scripts.get_current_head():
        return
    known = {script.revision for script in scripts.walk_revisions()}
    if current is not None and current not in known:
        raise StoreError(
            [
                Problem(
                    str(connection.engine.url.render_as_string(hide_password=True)),
                    None,
                    "",
                    f"the store's schema ({current}) is newer than this cchc-rules knows: "
                    "upgrade cchc-rules to use it",
                )
            ]
        )
    command.upgrade(config, "head")


class Store:
    """An open store. Reads are plain queries; :meth:`append` is the one way to write."""

    def __init__(self, location: str | Path | None = None, *, create: bool = True) -> None:
        """Open the store at ``location`` (see :func:`store_url`); a SQLite file that does
        not exist is created, unless ``create`` is false (then :class:`StoreError`)."""
        self.url = store_url(location)
        sqlite = self._sqlite = self.url.startswith("sqlite")
        self.display = (
            self.url.removeprefix("sqlite:///")
            if sqlite
            else sa.make_url(self.url).render_as_string(hide_password=True)
        )
        """How messages name the store: its file, or its URL without the password."""
        if sqlite and not create and not Path(self.display).exists():
            raise StoreError(
                [
                    Problem(
                        self.display,
                        None,
                        "",
                        "no store here: open a campaign first (cchc campaign open …), or name "
                        f"the store with --store PATH or ${STORE_ENV}",
                    )
                ]
            )
        self.engine = sa.create_engine(
            self.url,
            # A second writer on a SQLite file waits for the first instead of failing
            # at once with "database is locked".
            connect_args={"timeout": 30} if sqlite else {},
        )
        if sqlite:
            sa.event.listen(self.engine, "connect", _sqlite_connect)
            sa.event.listen(self.engine, "begin", _sqlite_begin)
        with self.schema_change() as connection:
            migrate(connection)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------

    def events(self, campaign: str | None = None, *, upto: int | None = None) -> list[Event]:
        """Events in the order they were written (of one campaign, up to an id)."""
        query = sa.select(events).order_by(events.c.id)
        if campaign is not None:
            query = query.where(events.c.campaign == campaign)
        if upto is not None:
            query = query.where(events.c.id <= upto)
        with self.engine.connect() as connection:
            return [_event(dict(row)) for row in connection.execute(query).mappings()]

    def campaigns(self) -> list[str]:
        """Every campaign opened in this store, in the order they were opened."""
        query = sa.select(events.c.campaign).where(events.c.based_on == 0).order_by(events.c.id)
        with self.engine.connect() as connection:
            return [str(name) for name in connection.execute(query).scalars()]

    def blob(self, sha256: str) -> bytes:
        with self.engine.connect() as connection:
            content = connection.execute(
                sa.select(blobs.c.content).where(blobs.c.sha256 == sha256)
            ).scalar()
        if content is None:
            raise StoreError([Problem(self.display, None, "", f"no stored input {sha256[:12]}")])
        return bytes(content)

    def runs(self, campaign: str | None = None) -> list[RunRecord]:
        query = sa.select(runs).order_by(runs.c.event_id)
        if campaign is not None:
            query = query.where(runs.c.campaign == campaign)
        with self.engine.connect() as connection:
            return [_run(row) for row in connection.execute(query).mappings()]

    def run(self, run_id: str) -> RunRecord:
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(runs).where(runs.c.id == run_id)).mappings().first()
        if row is None:
            known = ", ".join(r.id for r in self.runs()) or "none yet"
            raise StoreError(
                [Problem(self.display, None, "", f"no run {run_id!r} (runs: {known})")]
            )
        return _run(row)

    # -- writing -------------------------------------------------------------------------

    def append(
        self,
        campaign: str,
        kind: str,
        payload: Mapping[str, Any],
        *,
        who: str,
        why: str | None,
        based_on: int,
        inputs: Mapping[str, bytes] | None = None,
        run: NewRun | None = None,
        when: str | None = None,
    ) -> Event:
        """Write one event with its effects in one transaction.

        ``based_on`` is the id of the campaign's last event the caller read (0 to open
        it); when another writer got there first, :class:`ConflictError` and nothing is
        written. ``inputs`` are blobs (by SHA-256) the payload names; ``run`` the run
        the event freezes; ``when`` the time to record (default: now, UTC).
        """
        if not who.strip():
            raise StoreError(
                [Problem("--who", None, "", "expected who makes the change (got none)")]
            )
        text = canonical_json(payload)
        row = {
            "campaign": campaign,
            "based_on": based_on,
            "kind": kind,
            "who": who.strip(),
            "when": when or utc_now(),
            "why": why.strip() if why and why.strip() else None,
            "payload": text,
            "payload_sha256": sha256_hex(text.encode()),
        }
        try:
            with self.transaction() as connection:
                latest = _last_event(connection, campaign)
                if latest != based_on:
                    raise self._conflict(campaign, based_on, latest)
                row["chain_sha256"] = chain_link(_link(connection, latest), row)
                for digest, content in (inputs or {}).items():
                    stored = connection.execute(
                        sa.select(blobs.c.sha256).where(blobs.c.sha256 == digest)
                    ).first()
                    if stored is None:
                        connection.execute(
                            blobs.insert().values(sha256=digest, size=len(content), content=content)
                        )
                event_id = connection.execute(events.insert().values(**row)).inserted_primary_key
                assert event_id is not None
                if run is not None:
                    connection.execute(
                        runs.insert().values(
                            id=run.id,
                            campaign=campaign,
                            number=run.number,
                            event_id=event_id[0],
                            supersedes=run.supersedes,
                            results=run.results,
                            results_sha256=sha256_hex(run.results.encode()),
                            provenance=run.provenance,
                        )
                    )
        except sa.exc.IntegrityError as exc:
            # The unique (campaign, based_on) pair: another writer committed first.
            raise self._conflict(campaign, based_on, self.last_event_id(campaign)) from exc
        return _event({**row, "id": event_id[0]})

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """One transaction: committed when the block ends, rolled back when it raises."""
        with (
            self.engine.connect().execution_options(**{_WRITE: True}) as connection,
            connection.begin(),
        ):
            yield connection

    def link(self, event_id: int) -> str:
        """The chain link event ``event_id`` was written with ("" for none, id 0)."""
        with self.engine.connect() as connection:
            return _link(connection, event_id)

    @contextmanager
    def schema_change(self) -> Iterator[sa.Connection]:
        """A transaction that may change the schema (a migration).

        On SQLite, foreign keys are off in it and checked once at the end: Alembic's
        batch mode alters a table by copying it and dropping the old one, which the
        runs' reference to the events would refuse row by row (and SQLite ignores the
        setting inside a transaction, so it is set before one begins).
        """
        with self.engine.connect() as connection:
            driver = connection.connection.driver_connection if self._sqlite else None
            if driver is not None:
                driver.execute("PRAGMA foreign_keys=OFF")
            try:
                with connection.begin():
                    yield connection
                    if driver is not None:
                        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                        if broken:
                            raise StoreError(
                                [
                                    Problem(
                                        self.display,
                                        None,
                                        "",
                                        f"a schema change would break {len(broken)} reference(s) "
                                        "between tables; nothing was changed",
                                    )
                                ]
                            )
            finally:
                if driver is not None:
                    driver.execute("PRAGMA foreign_keys=ON")

    def last_event_id(self, campaign: str) -> int:
        """The id of the campaign's last event (0 when it has none)."""
        with self.engine.connect() as connection:
            return _last_event(connection, campaign)

    def _conflict(self, campaign: str, based_on: int, latest: int) -> ConflictError:
        newer = [e for e in self.events(campaign) if e.id > based_on]
        if based_on == 0 and latest:
            message = f"campaign {campaign!r} already exists"
        else:
            what = "; ".join(f"#{e.id} {e.kind} by {e.who} at {e.when}" for e in newer)
            message = (
                f"conflict: campaign {campaign!r} changed after event #{based_on}, which this "
                f"change was based on ({what or 'its last event is #' + str(latest)}); "
                "nothing was written: read the campaign again and repeat the change"
            )
        return ConflictError([Problem(self.display, None, "", message)])


_WRITE = "cchc_write"
"""Execution option of a connection that writes (SQLite then takes the write lock first)."""


def _sqlite_connect(dbapi_connection: Any, record: Any) -> None:
    # The driver's own implicit BEGIN off: _sqlite_begin says how each transaction starts.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: sa.Connection) -> None:
    # NOTE: a writing transaction takes SQLite's write lock at once (BEGIN IMMEDIATE):
    # two writers that both read first and then write would otherwise deadlock, and one
    # would fail with "database is locked" instead of waiting its turn.
    write = connection.get_execution_options().get(_WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _last_event(connection: sa.Connection, campaign: str) -> int:
    found = connection.execute(
        sa.select(sa.func.max(events.c.id)).where(events.c.campaign == campaign)
    ).scalar()
    return int(found or 0)


def _link(connection: sa.Connection, event_id: int) -> str:
    """The chain link of event ``event_id`` as stored ("" before a campaign's first)."""
    if not event_id:
        return ""
    return str(
        connection.execute(
            sa.select(events.c.chain_sha256).where(events.c.id == event_id)
        ).scalar_one()
    )


def _event(row: Mapping[str, Any]) -> Event:
    return Event(
        id=int(row["id"]),
        campaign=str(row["campaign"]),
        based_on=int(row["based_on"]),
        kind=str(row["kind"]),
        who=str(row["who"]),
        when=str(row["when"]),
        why=row["why"],
        payload_text=str(row["payload"]),
        payload_sha256=str(row["payload_sha256"]),
        chain_sha256=str(row["chain_sha256"]),
    )


def _run(row: sa.RowMapping) -> RunRecord:
    return RunRecord(
        id=str(row["id"]),
        campaign=str(row["campaign"]),
        number=int(row["number"]),
        event_id=int(row["event_id"]),
        supersedes=row["supersedes"],
        results=str(row["results"]),
        results_sha256=str(row["results_sha256"]),
        provenance_text=str(row["provenance"]),
    )
