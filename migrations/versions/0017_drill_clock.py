"""drill_clock: when a playing drill began and how fast, so the dashboard charts drill incidents by the
drill's simulated hour (every process reads it; `drill --wipe` deletes it).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-23 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'drill_clock',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('speed', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_drill_clock')),
    )
    op.create_index(op.f('ix_drill_clock_day'), 'drill_clock', ['day'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_drill_clock_day'), table_name='drill_clock')
    op.drop_table('drill_clock')
