"""The live map's derived data: data_version (per-table change counters behind the map's ETags),
map_grid_cell and map_grid_state (TPS counted per grid cell for the zoomed-out map, refreshed in the
background), and simplified boundaries (boundary_coarse, boundary_medium) on kota, kecamatan, kelurahan.

Run `flask --app wsgi refresh-map-grid` once after upgrading: it fills the simplified boundaries of
existing areas and counts the cells.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-23 13:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

AREAS = ('kota', 'kecamatan', 'kelurahan')


def upgrade():
    op.create_table(
        'data_version',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('shard', sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('name', 'shard', name=op.f('pk_data_version')),
    )
    op.create_table(
        'map_grid_cell',
        sa.Column('zoom', sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column('kecamatan_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('cx', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('cy', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('tps', sa.Integer(), nullable=False),
        sa.Column('opened', sa.Integer(), nullable=False),
        sa.Column('closed', sa.Integer(), nullable=False),
        sa.Column('sum_lat', sa.Float(), nullable=False),
        sa.Column('sum_lon', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('zoom', 'kecamatan_id', 'cx', 'cy', name=op.f('pk_map_grid_cell')),
    )
    op.create_table(
        'map_grid_state',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('cells', sa.Integer(), nullable=False),
        sa.Column('seconds', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_map_grid_state')),
    )
    for table in AREAS:
        op.add_column(table, sa.Column('boundary_coarse', sa.JSON(), nullable=True))
        op.add_column(table, sa.Column('boundary_medium', sa.JSON(), nullable=True))


def downgrade():
    for table in AREAS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column('boundary_medium')
            batch.drop_column('boundary_coarse')
    op.drop_table('map_grid_state')
    op.drop_table('map_grid_cell')
    op.drop_table('data_version')
