"""sms_inbound and sms_outbound: SMS received from and handed to the SMS gateway (issue 21); app_user.phone
for accounts without a person record (coordinators) to be reached by SMS.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 03:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('app_user', sa.Column('phone', sa.String(length=32), nullable=True))
    op.create_table(
        'sms_inbound',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.String(length=64), nullable=False),
        sa.Column('phone', sa.String(length=32), nullable=False),
        sa.Column('text', sa.String(length=480), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('result', sa.String(length=24), nullable=False),
        sa.Column('reply', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_sms_inbound_user_id_app_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_inbound')),
        sa.UniqueConstraint('message_id', name=op.f('uq_sms_inbound_message_id')),
    )
    op.create_index(op.f('ix_sms_inbound_phone'), 'sms_inbound', ['phone'], unique=False)
    op.create_index(op.f('ix_sms_inbound_received_at'), 'sms_inbound', ['received_at'], unique=False)
    op.create_table(
        'sms_outbound',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('gateway_id', sa.String(length=64), nullable=True),
        sa.Column('phone', sa.String(length=32), nullable=False),
        sa.Column('text', sa.String(length=200), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=True),
        sa.Column('inbound_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['inbound_id'], ['sms_inbound.id'], name=op.f('fk_sms_outbound_inbound_id_sms_inbound'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_outbound')),
        sa.UniqueConstraint('gateway_id', name=op.f('uq_sms_outbound_gateway_id')),
    )
    for column in ('phone', 'event_id', 'inbound_id', 'status', 'created_at'):
        op.create_index(op.f(f'ix_sms_outbound_{column}'), 'sms_outbound', [column], unique=False)


def downgrade():
    for column in ('phone', 'event_id', 'inbound_id', 'status', 'created_at'):
        op.drop_index(op.f(f'ix_sms_outbound_{column}'), table_name='sms_outbound')
    op.drop_table('sms_outbound')
    op.drop_index(op.f('ix_sms_inbound_received_at'), table_name='sms_inbound')
    op.drop_index(op.f('ix_sms_inbound_phone'), table_name='sms_inbound')
    op.drop_table('sms_inbound')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('phone')
