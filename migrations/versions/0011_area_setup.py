"""Area setup from real files: TPS placed at their kelurahan's label point (`position_approximate`),
TPS whose list had no DPT yet (`dpt` nullable).

Revision ID: 0011
Revises: 0008
Create Date: 2026-11-23 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('position_approximate', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.alter_column('dpt', existing_type=sa.Integer(), nullable=True)


def downgrade():
    with op.batch_alter_table('tps', schema=None) as batch_op:
        batch_op.alter_column('dpt', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('position_approximate')
