"""Login hardening (issue 24): failed logins counted in the database (login_failure, for every worker and app
server), and a login card's code single use with limited tries (app_user.pin_used_at, pin_failures).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 05:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('app_user', sa.Column('pin_used_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('app_user', sa.Column('pin_failures', sa.Integer(), server_default='0', nullable=False))
    op.create_table(
        'login_failure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('username', sa.String(length=60), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failure')),
    )
    op.create_index(op.f('ix_login_failure_at'), 'login_failure', ['at'], unique=False)
    op.create_index('ix_login_failure_address_at', 'login_failure', ['address', 'at'], unique=False)
    op.create_index('ix_login_failure_username_address_at', 'login_failure', ['username', 'address', 'at'],
                    unique=False)


def downgrade():
    op.drop_index('ix_login_failure_username_address_at', table_name='login_failure')
    op.drop_index('ix_login_failure_address_at', table_name='login_failure')
    op.drop_index(op.f('ix_login_failure_at'), table_name='login_failure')
    op.drop_table('login_failure')
    with op.batch_alter_table('app_user') as batch:
        batch.drop_column('pin_failures')
        batch.drop_column('pin_used_at')
