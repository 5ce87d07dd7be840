"""call assist: calls an agent takes turn by turn, their caller turns and suggested replies with outcomes

Revision ID: 0008_calls
Revises: 0007_admin
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_calls"
down_revision = "0007_admin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_calls",
        sa.Column("call_id", sa.String(length=32), nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("draft", sa.JSON(), nullable=True),
        sa.Column("caller_phone", sa.String(length=20), nullable=True),
        sa.Column("ticket_no", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("call_id"),
    )
    with op.batch_alter_table("agent_calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agent_calls_agent"), ["agent"], unique=False)
        batch_op.create_index(batch_op.f("ix_agent_calls_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_agent_calls_caller_phone"), ["caller_phone"], unique=False)
    op.create_table(
        "call_turns",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["agent_calls.call_id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("call_turns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_turns_call_id"), ["call_id"], unique=False)
    op.create_table(
        "call_suggestions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(length=32), nullable=False),
        sa.Column("turn_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("citations", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("final_text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["agent_calls.call_id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("call_suggestions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_suggestions_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_suggestions_outcome"), ["outcome"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_suggestions_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_table("call_suggestions")
    op.drop_table("call_turns")
    op.drop_table("agent_calls")
