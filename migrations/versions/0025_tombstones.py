"""tombstone: records deleted (a drill's incidents when it is wiped), reported by the partner sync (issue 24).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 05:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'tombstone',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entity_type', sa.String(length=40), nullable=False),
        sa.Column('entity_id', sa.Integer(), nullable=False),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reason', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tombstone')),
    )
    op.create_index('ix_tombstone_entity_type_deleted_at', 'tombstone', ['entity_type', 'deleted_at'], unique=False)


def downgrade():
    op.drop_index('ix_tombstone_entity_type_deleted_at', table_name='tombstone')
    op.drop_table('tombstone')
