"""Coordinators and admins at every level: an account's area may be a province (its 2-digit Kemendagri
code) or a kab/kota, beside the kecamatan it could already be; none is the whole nation.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 08:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kota_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('provinsi_kode', sa.String(length=2), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_app_user_kota_id_kota'), 'kota', ['kota_id'], ['id'])


def downgrade():
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_app_user_kota_id_kota'), type_='foreignkey')
        batch_op.drop_column('provinsi_kode')
        batch_op.drop_column('kota_id')
