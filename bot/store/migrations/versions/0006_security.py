"""server-side staff page sessions (logout and a password change revoke them)

Revision ID: 0006_security
Revises: 0006_analytics
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_security"
down_revision = "0006_analytics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_sessions_user_name"), ["user_name"], unique=False)
        batch_op.create_index(batch_op.f("ix_staff_sessions_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_sessions_expires_at"))
        batch_op.drop_index(batch_op.f("ix_staff_sessions_user_name"))
    op.drop_table("staff_sessions")
