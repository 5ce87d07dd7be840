"""wechat tables

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wechat_inbound",
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("msg_type", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dedup_key"),
    )
    with op.batch_alter_table("wechat_inbound", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wechat_inbound_openid"), ["openid"], unique=False)
        batch_op.create_index(batch_op.f("ix_wechat_inbound_created_at"), ["created_at"], unique=False)

    op.create_table(
        "wechat_followers",
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subscribed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("openid"),
    )

    op.create_table(
        "wechat_tokens",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("wechat_tokens")
    op.drop_table("wechat_followers")
    with op.batch_alter_table("wechat_inbound", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wechat_inbound_created_at"))
        batch_op.drop_index(batch_op.f("ix_wechat_inbound_openid"))
    op.drop_table("wechat_inbound")
