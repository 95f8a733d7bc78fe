"""Areas set up from the national list (logistics/area_list.py) before any boundary file: an area's
outline, bounding box and label point may be NULL until a boundary file fills them in place.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 06:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

TABLES = ('kota', 'kecamatan', 'kelurahan')
FLOATS = ('min_lon', 'min_lat', 'max_lon', 'max_lat', 'label_lat', 'label_lon')


def _nullable(value: bool) -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('boundary', existing_type=sa.JSON(), nullable=value)
            for column in FLOATS:
                batch_op.alter_column(column, existing_type=sa.Float(), nullable=value)


def upgrade():
    _nullable(True)


def downgrade():
    _nullable(False)
