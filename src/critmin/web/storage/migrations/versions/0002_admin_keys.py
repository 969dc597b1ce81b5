"""Administrator keys: an ``is_admin`` flag on ``api_keys`` (existing keys stay ordinary keys).

An administrator key may list, create and revoke keys over the REST API and from the web page
(:mod:`critmin.web.api.admin`), so key management needs no terminal once one administrator key
exists (``critmin keys create NAME --admin``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("is_admin")
