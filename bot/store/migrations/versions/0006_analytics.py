"""imported history for the analysis (hotline import-messages)

Revision ID: 0006_analytics
Revises: 0005_conversation
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_analytics"
down_revision = "0005_conversation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imported_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("intent", sa.String(length=20), nullable=True),
        sa.Column("category_l1", sa.String(length=50), nullable=True),
        sa.Column("category_l2", sa.String(length=100), nullable=True),
        sa.Column("category_given", sa.Boolean(), nullable=False),
        sa.Column("urgency", sa.String(length=20), nullable=True),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.Column("district", sa.String(length=50), nullable=True),
        sa.Column("street", sa.String(length=100), nullable=True),
        sa.Column("community", sa.String(length=200), nullable=True),
        sa.Column("landmark", sa.String(length=200), nullable=True),
        sa.Column("location_raw", sa.String(length=500), nullable=True),
        sa.Column("places", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("votes", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("vector", sa.LargeBinary(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_id"),
    )
    with op.batch_alter_table("imported_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_imported_requests_received_at"), ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_imported_requests_category_l1"), ["category_l1"], unique=False)
        batch_op.create_index(batch_op.f("ix_imported_requests_district"), ["district"], unique=False)


def downgrade() -> None:
    op.drop_table("imported_requests")
