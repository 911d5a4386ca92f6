"""Events, blobs and runs: the first schema of the store.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("campaign", sa.String(100), nullable=False),
        sa.Column("based_on", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("when", sa.String(32), nullable=False),
        sa.Column("why", sa.Text, nullable=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("payload_sha256", sa.String(64), nullable=False),
        sa.UniqueConstraint("campaign", "based_on", name="uq_events_campaign_based_on"),
    )
    op.create_index("ix_events_campaign", "events", ["campaign"])
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.String(120), primary_key=True),
        sa.Column("campaign", sa.String(100), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), nullable=False),
        sa.Column("supersedes", sa.String(120), sa.ForeignKey("runs.id"), nullable=True),
        sa.Column("results", sa.Text, nullable=False),
        sa.Column("results_sha256", sa.String(64), nullable=False),
        sa.Column("provenance", sa.Text, nullable=False),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index("ix_runs_campaign", "runs", ["campaign"])


def downgrade() -> None:
    op.drop_table("runs")
    op.drop_table("blobs")
    op.drop_table("events")
