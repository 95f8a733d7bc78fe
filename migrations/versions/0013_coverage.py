"""Coverage as data: tps_coverage holds each TPS's nearest medic station and its distance.

Filled by `flask --app wsgi recompute-coverage` (run it once after upgrading) and kept current by the
services' unit of work.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23 09:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'tps_coverage',
        sa.Column('tps_id', sa.Integer(), nullable=False),
        sa.Column('medic_station_id', sa.Integer(), nullable=False),
        sa.Column('distance_m', sa.Float(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['medic_station_id'], ['medic_station.id'],
                                name=op.f('fk_tps_coverage_medic_station_id_medic_station'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tps_id'], ['tps.id'], name=op.f('fk_tps_coverage_tps_id_tps'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('tps_id', name=op.f('pk_tps_coverage')),
    )
    op.create_index(op.f('ix_tps_coverage_medic_station_id'), 'tps_coverage', ['medic_station_id'], unique=False)
    op.create_index(op.f('ix_tps_coverage_computed_at'), 'tps_coverage', ['computed_at'], unique=False)
    op.create_index(op.f('ix_tps_coverage_distance_m'), 'tps_coverage', ['distance_m'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_tps_coverage_distance_m'), table_name='tps_coverage')
    op.drop_index(op.f('ix_tps_coverage_computed_at'), table_name='tps_coverage')
    op.drop_index(op.f('ix_tps_coverage_medic_station_id'), table_name='tps_coverage')
    op.drop_table('tps_coverage')
