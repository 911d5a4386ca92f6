"""The hash chain across a campaign's events (decision 0032).

Adds ``events.chain_sha256`` and links every existing event, in the order it was
written, so a store made before the chain verifies like a new one from here on.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cchc_rules.store._db import chain_link

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NOTE: nullable first: the existing rows get their links below, then the column is
    # made NOT NULL (SQLite alters a table by copying it, in batch mode).
    op.add_column("events", sa.Column("chain_sha256", sa.String(64), nullable=True))
    table = sa.table(
        "events",
        *(
            sa.column(name)
            for name in (
                "id",
                "campaign",
                "based_on",
                "kind",
                "who",
                "when",
                "why",
                "payload",
                "chain_sha256",
            )
        ),
    )
    connection = op.get_bind()
    links: dict[str, str] = {}
    for row in connection.execute(sa.select(table).order_by(table.c.id)).mappings():
        link = chain_link(links.get(row["campaign"], ""), dict(row))
        links[row["campaign"]] = link
        connection.execute(table.update().where(table.c.id == row["id"]).values(chain_sha256=link))
    with op.batch_alter_table("events") as batch:
        batch.alter_column("chain_sha256", existing_type=sa.String(64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("chain_sha256")
