"""Area setup from real files: TPS placed at their kelurahan's label point (`position_approximate`),
TPS whose list had no DPT yet (`dpt` nullable); election settings edited by admins (`election_setting`).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'election_setting',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('value', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_election_setting')),
        sa.UniqueConstraint('key', name=op.f('uq_election_setting_key')),
    )
    with op.batch_alter_table('election_setting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_election_setting_updated_at'), ['updated_at'], unique=False)
    with op.batch_alter_table('tps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('position_approximate', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.alter_column('dpt', existing_type=sa.Integer(), nullable=True)


def downgrade():
    op.drop_table('election_setting')
    with op.batch_alter_table('tps', schema=None) as batch_op:
        batch_op.alter_column('dpt', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('position_approximate')
