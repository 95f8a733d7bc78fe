"""Write path: a row never carries the fields of two end states, nor the time of a step it has not
reached (delivery, tps, health_incident). The SQL twins of logistics.rules.status_fields'
DELIVERY_FIELDS, TPS_FIELDS and INCIDENT_FIELDS, frozen here as they were when this migration was made.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 08:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

DELIVERY_FIELDS_FIT_STATUS = (
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
TPS_STEP_TIMES_FIT_STATUS = (
    "(opened_at IS NULL OR status IN ('open', 'voting_closed', 'counted', 'handed_over')) AND "
    "(voting_closed_at IS NULL OR status IN ('voting_closed', 'counted', 'handed_over')) AND "
    "(counted_at IS NULL OR status IN ('counted', 'handed_over')) AND "
    "(handed_over_at IS NULL OR status IN ('handed_over'))"
)
INCIDENT_STEP_TIMES_FIT_STATUS = (
    "(responding_at IS NULL OR status IN ('responding', 'treated_on_site', 'referred', 'closed')) AND "
    "(treated_at IS NULL OR status IN ('treated_on_site', 'referred', 'closed')) AND "
    "(referred_at IS NULL OR status IN ('referred', 'closed')) AND "
    "(closed_at IS NULL OR status IN ('closed')) AND "
    "(status <> 'responding' OR responding_at IS NOT NULL) AND "
    "(status <> 'treated_on_site' OR treated_at IS NOT NULL) AND "
    "(status <> 'referred' OR referred_at IS NOT NULL) AND "
    "(status <> 'closed' OR closed_at IS NOT NULL)"
)
# Rows written before this migration may break the rule (two racing steps could both succeed): the
# status column is what everyone saw last, so it stays, the other state's fields are cleared, and a
# missing step time is taken from the row's last change. The audit trail keeps both steps as posted.
REPAIRS = (
    "UPDATE delivery SET dispatched_at = NULL WHERE status = 'planned' AND dispatched_at IS NOT NULL",
    "UPDATE delivery SET delivered_at = NULL, quantity_received = NULL, received_by = NULL, quantity_damaged = NULL "
    "WHERE status <> 'delivered' AND (delivered_at IS NOT NULL OR quantity_received IS NOT NULL "
    "OR received_by IS NOT NULL OR quantity_damaged IS NOT NULL)",
    "UPDATE delivery SET failed_at = NULL, failure_reason = NULL "
    "WHERE status <> 'failed' AND (failed_at IS NOT NULL OR failure_reason IS NOT NULL)",
    "UPDATE delivery SET dispatched_at = updated_at WHERE status = 'dispatched' AND dispatched_at IS NULL",
    "UPDATE delivery SET delivered_at = updated_at WHERE status = 'delivered' AND delivered_at IS NULL",
    "UPDATE delivery SET quantity_received = quantity_planned WHERE status = 'delivered' AND quantity_received IS NULL",
    "UPDATE delivery SET quantity_damaged = NULL WHERE quantity_damaged > quantity_received",
    "UPDATE delivery SET failed_at = updated_at WHERE status = 'failed' AND failed_at IS NULL",
    "UPDATE tps SET opened_at = NULL WHERE status = 'setup' AND opened_at IS NOT NULL",
    "UPDATE tps SET voting_closed_at = NULL WHERE status IN ('setup', 'open') AND voting_closed_at IS NOT NULL",
    "UPDATE tps SET counted_at = NULL WHERE status IN ('setup', 'open', 'voting_closed') AND counted_at IS NOT NULL",
    "UPDATE tps SET handed_over_at = NULL WHERE status <> 'handed_over' AND handed_over_at IS NOT NULL",
    "UPDATE health_incident SET responding_at = NULL WHERE status = 'reported' AND responding_at IS NOT NULL",
    "UPDATE health_incident SET treated_at = NULL WHERE status IN ('reported', 'responding') AND treated_at IS NOT NULL",
    "UPDATE health_incident SET referred_at = NULL "
    "WHERE status IN ('reported', 'responding', 'treated_on_site') AND referred_at IS NOT NULL",
    "UPDATE health_incident SET closed_at = NULL WHERE status <> 'closed' AND closed_at IS NOT NULL",
    "UPDATE health_incident SET responding_at = updated_at WHERE status = 'responding' AND responding_at IS NULL",
    "UPDATE health_incident SET treated_at = updated_at WHERE status = 'treated_on_site' AND treated_at IS NULL",
    "UPDATE health_incident SET referred_at = updated_at WHERE status = 'referred' AND referred_at IS NULL",
    "UPDATE health_incident SET closed_at = updated_at WHERE status = 'closed' AND closed_at IS NULL",
)
CHECKS = (
    ('delivery', 'fields_fit_status', DELIVERY_FIELDS_FIT_STATUS),
    ('tps', 'step_times_fit_status', TPS_STEP_TIMES_FIT_STATUS),
    ('health_incident', 'step_times_fit_status', INCIDENT_STEP_TIMES_FIT_STATUS),
)


def upgrade():
    for statement in REPAIRS:
        op.execute(statement)
    for table, name, condition in CHECKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(name, condition)


def downgrade():
    for table, name, _condition in reversed(CHECKS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_{name}'), type_='check')
