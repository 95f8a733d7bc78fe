"""Drill and arrival: `drill` marks on tps, delivery and health_incident (records a drill moved or
made, which `flask drill --wipe` resets or deletes); the delivery state `arrived` (the courier is
there, the TPS has not confirmed the receipt) with its time `arrived_at`. The status CHECKs are the
SQL twins of logistics.rules.status_fields.DELIVERY_FIELDS, frozen here as they were when this
migration was made.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 09:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

STATUSES_BEFORE = "status IN ('planned', 'dispatched', 'delivered', 'failed')"
STATUSES_AFTER = "status IN ('planned', 'dispatched', 'arrived', 'delivered', 'failed')"
FIELDS_BEFORE = (
    "(dispatched_at IS NULL OR status IN ('dispatched', 'delivered', 'failed')) AND "
    "(delivered_at IS NULL OR status IN ('delivered')) AND "
    "(quantity_received IS NULL OR status IN ('delivered')) AND "
    "(received_by IS NULL OR status IN ('delivered')) AND "
    "(quantity_damaged IS NULL OR status IN ('delivered')) AND "
    "(failed_at IS NULL OR status IN ('failed')) AND "
    "(failure_reason IS NULL OR status IN ('failed')) AND "
    "(status <> 'dispatched' OR dispatched_at IS NOT NULL) AND "
    "(status <> 'delivered' OR delivered_at IS NOT NULL) AND "
    "(status <> 'delivered' OR quantity_received IS NOT NULL) AND "
    "(status <> 'failed' OR failed_at IS NOT NULL)"
)
FIELDS_AFTER = (
    "(dispatched_at IS NULL OR status IN ('dispatched', 'arrived', 'delivered', 'failed')) AND "
    "(arrived_at IS NULL OR status IN ('arrived', 'delivered', 'failed')) AND "
    "(delivered_at IS NULL OR status IN ('delivered')) AND "
    "(quantity_received IS NULL OR status IN ('delivered')) AND "
    "(received_by IS NULL OR status IN ('delivered')) AND "
    "(quantity_damaged IS NULL OR status IN ('delivered')) AND "
    "(failed_at IS NULL OR status IN ('failed')) AND "
    "(failure_reason IS NULL OR status IN ('failed')) AND "
    "(status <> 'dispatched' OR dispatched_at IS NOT NULL) AND "
    "(status <> 'arrived' OR arrived_at IS NOT NULL) AND "
    "(status <> 'delivered' OR delivered_at IS NOT NULL) AND "
    "(status <> 'delivered' OR quantity_received IS NOT NULL) AND "
    "(status <> 'failed' OR failed_at IS NOT NULL)"
)
DRILL_TABLES = ('tps', 'delivery', 'health_incident')


def _delivery_checks(statuses: str, fields: str) -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_delivery_fields_fit_status'), type_='check')
        batch_op.drop_constraint(op.f('ck_delivery_delivery_status'), type_='check')
        batch_op.create_check_constraint('delivery_status', statuses)
        batch_op.create_check_constraint('fields_fit_status', fields)


def upgrade():
    for table in DRILL_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('drill', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=True))
    _delivery_checks(STATUSES_AFTER, FIELDS_AFTER)


def downgrade():
    # Arrived deliveries go back to dispatched (their arrival time is lost).
    op.execute("UPDATE delivery SET status = 'dispatched', dispatched_at = COALESCE(dispatched_at, arrived_at) "
               "WHERE status = 'arrived'")
    _delivery_checks(STATUSES_BEFORE, FIELDS_BEFORE)
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_column('arrived_at')
    for table in reversed(DRILL_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('drill')
