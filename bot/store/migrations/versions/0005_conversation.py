"""handoffs to agents; who wrote an agent's chat message

Revision ID: 0005_conversation
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_conversation"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_handoffs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=True),
        sa.Column("announced", sa.Boolean(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("chat_handoffs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_handoffs_session_id"), ["session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_chat_handoffs_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_chat_handoffs_requested_at"), ["requested_at"], unique=False)
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.drop_column("author")
    with op.batch_alter_table("chat_handoffs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_handoffs_requested_at"))
        batch_op.drop_index(batch_op.f("ix_chat_handoffs_status"))
        batch_op.drop_index(batch_op.f("ix_chat_handoffs_session_id"))
    op.drop_table("chat_handoffs")
