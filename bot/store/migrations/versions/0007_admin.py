"""admin console: unanswered questions close into FAQ documents, labelled examples from staff, audit indexes

Revision ID: 0007_admin
Revises: 0006_security
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_admin"
down_revision = "0006_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("unanswered_questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("faq_doc_id", sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f("ix_unanswered_questions_answered_at"), ["answered_at"], unique=False)
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_actor"), ["actor"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_created_at"), ["created_at"], unique=False)
    op.create_table(
        "staff_examples",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("level1", sa.String(length=50), nullable=False),
        sa.Column("level2", sa.String(length=100), nullable=False),
        sa.Column("intent", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("ticket_no", sa.String(length=40), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("staff_examples", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_examples_ticket_no"), ["ticket_no"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("staff_examples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_examples_ticket_no"))
    op.drop_table("staff_examples")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_created_at"))
        batch_op.drop_index(batch_op.f("ix_audit_log_action"))
        batch_op.drop_index(batch_op.f("ix_audit_log_actor"))
    with op.batch_alter_table("unanswered_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unanswered_questions_answered_at"))
        batch_op.drop_column("faq_doc_id")
        batch_op.drop_column("answered_at")
