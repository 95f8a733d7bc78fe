"""outbox_event, event_delivery and worker_heartbeat: domain events written with the change, delivered by the worker.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'outbox_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('entity_type', sa.String(length=40), nullable=False),
        sa.Column('entity_id', sa.Integer(), nullable=False),
        sa.Column('kecamatan_id', sa.Integer(), nullable=True),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('dedup_key', sa.String(length=120), nullable=True),
        sa.Column('urgent', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_event')),
        sa.UniqueConstraint('dedup_key', name=op.f('uq_outbox_event_dedup_key')),
    )
    op.create_index('ix_outbox_event_pending', 'outbox_event', ['dispatched_at', 'urgent', 'id'], unique=False)
    op.create_table(
        'event_delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('recipient', sa.String(length=120), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['event_id'], ['outbox_event.id'], name=op.f('fk_event_delivery_event_id_outbox_event'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_event_delivery')),
        sa.UniqueConstraint('event_id', 'channel', 'recipient', name=op.f('uq_event_delivery_event_id_channel_recipient')),
    )
    op.create_index(op.f('ix_event_delivery_event_id'), 'event_delivery', ['event_id'], unique=False)
    op.create_index('ix_event_delivery_status', 'event_delivery', ['status', 'claimed_at'], unique=False)
    op.create_table(
        'worker_heartbeat',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('host', sa.String(length=120), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_worker_heartbeat')),
    )


def downgrade():
    op.drop_table('worker_heartbeat')
    op.drop_index('ix_event_delivery_status', table_name='event_delivery')
    op.drop_index(op.f('ix_event_delivery_event_id'), table_name='event_delivery')
    op.drop_table('event_delivery')
    op.drop_index('ix_outbox_event_pending', table_name='outbox_event')
    op.drop_table('outbox_event')
