"""The store's tables (SQLAlchemy Core): events, the blobs they name, and frozen runs.

Nothing here is ever updated or deleted: a change is a new event, written in one
transaction with its effects (the blobs it names, the run it freezes). The migrations
in ``migrations/versions/`` create exactly these tables; a change to them is a new
migration, never an edit of an old one.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["blobs", "events", "metadata", "runs"]

metadata = sa.MetaData()

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("campaign", sa.String(100), nullable=False, index=True),
    # NOTE: optimistic concurrency: the id of the campaign's last event the writer read
    # (0 for the event that opens it). Unique per campaign, so of two writers who read
    # the same state only the first commits; the other's insert fails, whatever the
    # database and however the writers interleave.
    sa.Column("based_on", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("who", sa.String(200), nullable=False),
    # NOTE: ISO 8601 text in UTC ("2019-12-31T09:30:00.000000Z"), not a DateTime
    # column: SQLite has no time zones, and text reads back byte for byte everywhere.
    sa.Column("when", sa.String(32), nullable=False),
    sa.Column("why", sa.Text, nullable=True),
    # NOTE: canonical JSON as text, not a JSON column: PostgreSQL's jsonb would reorder
    # keys, and the hash below must match the stored bytes.
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("payload_sha256", sa.String(64), nullable=False),
    # The hash chain (decision 0032): SHA-256 of the campaign's previous link and this
    # event's every column but its id, so an event edited, removed or moved behind the
    # tool's back breaks the chain at that point.
    sa.Column("chain_sha256", sa.String(64), nullable=False),
    sa.UniqueConstraint("campaign", "based_on", name="uq_events_campaign_based_on"),
)

blobs = sa.Table(
    "blobs",
    metadata,
    # Content-addressed: inputs as imported (units files, the resolved ruleset), so a
    # run can be recomputed from the store alone.
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    # "CAMPAIGN/N": the campaign's N-th published run.
    sa.Column("id", sa.String(120), primary_key=True),
    sa.Column("campaign", sa.String(100), nullable=False, index=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), nullable=False, unique=True),
    sa.Column("supersedes", sa.String(120), sa.ForeignKey("runs.id"), nullable=True),
    sa.Column("results", sa.Text, nullable=False),
    sa.Column("results_sha256", sa.String(64), nullable=False),
    sa.Column("provenance", sa.Text, nullable=False),
)
