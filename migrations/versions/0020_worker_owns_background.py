"""figure_snapshot says which registered figure it holds (name, params) and when a reader last wanted it
fresh, so the worker recomputes it (siaga/shared_figures.py); drill_clock holds the drill's plan and
progress, so the worker plays it (logistics/drill/runner.py).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 02:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    # Stored figures are a cache: the old rows name no figure the worker could recompute; readers store anew.
    op.execute("DELETE FROM figure_snapshot")
    with op.batch_alter_table('figure_snapshot') as batch:
        batch.drop_column('refresh_claimed_until')
        batch.add_column(sa.Column('figure', sa.String(length=60), nullable=False))
        batch.add_column(sa.Column('params', sa.Text(), nullable=False))
        batch.add_column(sa.Column('wanted_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('drill_clock') as batch:
        batch.add_column(sa.Column('seed', sa.Integer(), nullable=False, server_default='1'))
        batch.add_column(sa.Column('stop_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('played', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('drill_clock') as batch:
        batch.drop_column('finished_at')
        batch.drop_column('played')
        batch.drop_column('stop_at')
        batch.drop_column('seed')
    op.execute("DELETE FROM figure_snapshot")
    with op.batch_alter_table('figure_snapshot') as batch:
        batch.drop_column('wanted_at')
        batch.drop_column('params')
        batch.drop_column('figure')
        batch.add_column(sa.Column('refresh_claimed_until', sa.DateTime(timezone=True), nullable=True))
