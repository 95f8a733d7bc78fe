"""situation_report: the hourly situation reports (PDF) the worker makes on election day (issue 25).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 05:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'situation_report',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=16), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.Column('lang', sa.String(length=8), nullable=False),
        sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('pdf', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_situation_report')),
        sa.UniqueConstraint('scope', 'area_id', 'lang', 'hour',
                            name=op.f('uq_situation_report_scope_area_id_lang_hour')),
    )
    op.create_index(op.f('ix_situation_report_hour'), 'situation_report', ['hour'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_situation_report_hour'), table_name='situation_report')
    op.drop_table('situation_report')
