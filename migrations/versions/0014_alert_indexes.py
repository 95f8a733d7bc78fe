"""Alerts at national scale: partial indexes on the deliveries still on their way (late, at risk, not
confirmed) and on the short ones, so the alert sources read thousands of rows, not 3.3 million.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23 13:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

OPEN_WHERE = "status IN ('planned', 'dispatched', 'arrived')"
SHORT_WHERE = "status = 'delivered' AND quantity_received < quantity_planned"


def upgrade():
    op.create_index('ix_delivery_open_planned_at', 'delivery', ['planned_at'],
                    postgresql_where=sa.text(OPEN_WHERE), sqlite_where=sa.text(OPEN_WHERE))
    op.create_index('ix_delivery_short_delivered_at', 'delivery', ['delivered_at'],
                    postgresql_where=sa.text(SHORT_WHERE), sqlite_where=sa.text(SHORT_WHERE))


def downgrade():
    op.drop_index('ix_delivery_short_delivered_at', table_name='delivery')
    op.drop_index('ix_delivery_open_planned_at', table_name='delivery')
