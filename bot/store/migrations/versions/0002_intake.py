"""intake tables: emergency alerts

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "emergency_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("numbers", sa.String(length=50), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_emergency_alerts_session_id", "emergency_alerts", ["session_id"])
    op.create_index("ix_emergency_alerts_created_at", "emergency_alerts", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_emergency_alerts_created_at", table_name="emergency_alerts")
    op.drop_index("ix_emergency_alerts_session_id", table_name="emergency_alerts")
    op.drop_table("emergency_alerts")
