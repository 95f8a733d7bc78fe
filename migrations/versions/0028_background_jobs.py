"""background_job: card printing and provisioning run by the worker, with progress (issue 24).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 06:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'background_job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('requested_by', sa.Integer(), nullable=False),
        sa.Column('kecamatan_id', sa.Integer(), nullable=True),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('message', sa.String(length=200), nullable=True),
        sa.Column('result', sa.LargeBinary(), nullable=True),
        sa.Column('result_name', sa.String(length=120), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['requested_by'], ['app_user.id'], name=op.f('fk_background_job_requested_by_app_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_background_job')),
    )
    op.create_index('ix_background_job_status_id', 'background_job', ['status', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_background_job_status_id', table_name='background_job')
    op.drop_table('background_job')
