"""webhook_subscription and webhook_attempt: partners' signed webhooks from the events outbox (issue 24).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 05:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'webhook_subscription',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agency', sa.String(length=60), nullable=False),
        sa.Column('url', sa.String(length=500), nullable=False),
        sa.Column('secret', sa.String(length=80), nullable=False),
        sa.Column('kinds', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('disabled_reason', sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_subscription')),
    )
    op.create_index(op.f('ix_webhook_subscription_agency'), 'webhook_subscription', ['agency'], unique=False)
    op.create_table(
        'webhook_attempt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.String(length=40), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=True),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.Column('error', sa.String(length=200), nullable=True),
        sa.Column('duration_ms', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscription.id'],
                                name=op.f('fk_webhook_attempt_subscription_id_webhook_subscription'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_attempt')),
    )
    op.create_index('ix_webhook_attempt_subscription_id_at', 'webhook_attempt', ['subscription_id', 'at'], unique=False)


def downgrade():
    op.drop_index('ix_webhook_attempt_subscription_id_at', table_name='webhook_attempt')
    op.drop_table('webhook_attempt')
    op.drop_index(op.f('ix_webhook_subscription_agency'), table_name='webhook_subscription')
    op.drop_table('webhook_subscription')
