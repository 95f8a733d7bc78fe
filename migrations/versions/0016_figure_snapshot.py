"""figure_snapshot: the coordinators' aggregates of one scope, stored once for every process and app server
(siaga/shared_figures.py) instead of cached in each.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-23 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'figure_snapshot',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('refresh_claimed_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_figure_snapshot')),
    )
    op.create_index(op.f('ix_figure_snapshot_computed_at'), 'figure_snapshot', ['computed_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_figure_snapshot_computed_at'), table_name='figure_snapshot')
    op.drop_table('figure_snapshot')
