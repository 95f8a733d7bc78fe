"""Elections as records (issue 23, point 5): an `election` table, one active; every table of one election's
records gets `election_id` (NOT NULL, indexed, a foreign key), and the unique keys that were per deployment
become per election. Every existing row is backfilled into election 1, made active.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None

SCOPED = ('tps', 'medic_station', 'person', 'delivery', 'health_incident', 'health_screening', 'health_checkin',
          'roster_shift', 'election_setting', 'situation_report', 'tps_coverage')
# table: [(unique key before, its columns)]: each becomes (election_id, *columns).
UNIQUE = {
    'tps': [('uq_tps_code', ('code',)), ('uq_tps_kelurahan_id_number', ('kelurahan_id', 'number'))],
    'medic_station': [('uq_medic_station_code', ('code',))],
    'person': [('uq_person_code', ('code',))],
    'delivery': [('uq_delivery_ref', ('ref',))],
    'election_setting': [('uq_election_setting_key', ('key',))],
    'situation_report': [('uq_situation_report_scope_area_id_lang_hour', ('scope', 'area_id', 'lang', 'hour'))],
}


def _uq(table: str, columns) -> str:
    return f"uq_{table}_{'_'.join(columns)}"


def upgrade():
    op.create_table(
        'election',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum('pemilu', 'pilkada', 'pilkada_ulang', 'psu', 'drill', name='election_kind',
                                  native_enum=False, create_constraint=True, length=13), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('day', sa.Date(), nullable=True),
        sa.Column('active', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('created_from_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(['created_from_id'], ['election.id'], name=op.f('fk_election_created_from_id_election')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_election')),
    )
    op.create_index(op.f('ix_election_updated_at'), 'election', ['updated_at'], unique=False)
    op.create_index('ix_election_one_active', 'election', ['active'], unique=True,
                    postgresql_where=sa.text('active'), sqlite_where=sa.text('active'))
    op.execute("INSERT INTO election (id, kind, name, day, active) VALUES (1, 'pilkada', 'Pilkada', NULL, TRUE)")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("SELECT setval(pg_get_serial_sequence('election', 'id'), 1)")
    for table in SCOPED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('election_id', sa.Integer(), nullable=True))
        op.execute(f"UPDATE {table} SET election_id = 1")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('election_id', existing_type=sa.Integer(), nullable=False)
            batch_op.create_index(batch_op.f(f'ix_{table}_election_id'), ['election_id'], unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_election_id_election'), 'election',
                                        ['election_id'], ['id'])
            for before, columns in UNIQUE.get(table, ()):
                batch_op.drop_constraint(before, type_='unique')
                batch_op.create_unique_constraint(_uq(table, ('election_id',) + columns), ['election_id', *columns])


def downgrade():
    # Only the active election's rows can stay: the others would break the per-deployment keys.
    others = "SELECT id FROM election WHERE NOT active"
    for column, table in (('tps_id', 'tps'), ('medic_station_id', 'medic_station'), ('person_id', 'person')):
        op.execute(f"UPDATE app_user SET {column} = NULL WHERE {column} IN "
                   f"(SELECT id FROM {table} WHERE election_id IN ({others}))")
    for table in reversed(SCOPED):
        op.execute(f"DELETE FROM {table} WHERE election_id IN ({others})")
    for table in reversed(SCOPED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for before, columns in UNIQUE.get(table, ()):
                batch_op.drop_constraint(_uq(table, ('election_id',) + columns), type_='unique')
                batch_op.create_unique_constraint(before, list(columns))
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_election_id_election'), type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_election_id'))
            batch_op.drop_column('election_id')
    op.drop_index('ix_election_one_active', table_name='election')
    op.drop_index(op.f('ix_election_updated_at'), table_name='election')
    op.drop_table('election')
