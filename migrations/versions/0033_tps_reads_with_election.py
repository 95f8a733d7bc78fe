"""A TPS's deliveries and incidents indexed on (tps_id, election_id) instead of tps_id alone: every ORM read
names the election (logistics/election_scope.py), and SQLite without statistics chose the one-column
election_id index for a TPS's rows, reading every delivery (or incident) of the election.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07 12:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('delivery', 'health_incident'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_tps_id_election_id'), ['tps_id', 'election_id'], unique=False)
            batch_op.drop_index(batch_op.f(f'ix_{table}_tps_id'))


def downgrade():
    for table in ('delivery', 'health_incident'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_tps_id'), ['tps_id'], unique=False)
            batch_op.drop_index(batch_op.f(f'ix_{table}_tps_id_election_id'))
