"""knowledge-base uploads as background jobs with progress

Revision ID: 0007_upload_jobs
Revises: 0006_security
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_upload_jobs"
down_revision = "0006_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "upload_jobs",
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("stored_path", sa.String(length=1000), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job_id"),
    )
    with op.batch_alter_table("upload_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_upload_jobs_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_upload_jobs_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("upload_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_upload_jobs_created_at"))
        batch_op.drop_index(batch_op.f("ix_upload_jobs_state"))
    op.drop_table("upload_jobs")
