"""person.phone_e164: the phone in one form (+62…), indexed, so an SMS's sender is found by equality;
app_user.phone stored in that form and indexed. Backfilled with the app's one rule
(logistics/rules/phones.py `normalise_phone`).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 05:40:00

"""
from alembic import op
import sqlalchemy as sa

import re


def normalise_phone(raw):
    """A frozen copy of logistics/rules/phones.py `normalise_phone` as of this migration: a migration never
    imports the app, whose rule may change after it (tests/test_migrations.py checks the two agree today)."""
    if not raw:
        return None
    plus = raw.strip().startswith("+")
    digits = re.sub(r"\D", "", raw)
    if not 6 <= len(digits) <= 15:
        return None
    if plus or digits.startswith("62"):
        return "+" + digits
    if digits.startswith("0"):
        return "+62" + digits[1:]
    if digits.startswith("8"):
        return "+62" + digits
    return None


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    op.add_column('person', sa.Column('phone_e164', sa.String(length=16), nullable=True))
    bind = op.get_bind()
    person = sa.table('person', sa.column('id', sa.Integer), sa.column('phone', sa.String),
                      sa.column('phone_e164', sa.String))
    user = sa.table('app_user', sa.column('id', sa.Integer), sa.column('phone', sa.String))
    last = 0
    while True:  # in batches by id: a nation's people do not fit in one list
        rows = bind.execute(sa.select(person.c.id, person.c.phone).where(person.c.id > last, person.c.phone.is_not(None))
                            .order_by(person.c.id).limit(BATCH)).all()
        if not rows:
            break
        values = [{"pid": pid, "e164": normalise_phone(phone)} for pid, phone in rows]
        bind.execute(person.update().where(person.c.id == sa.bindparam("pid"))
                     .values(phone_e164=sa.bindparam("e164")), values)
        last = rows[-1][0]
    for uid, phone in bind.execute(sa.select(user.c.id, user.c.phone).where(user.c.phone.is_not(None))).all():
        e164 = normalise_phone(phone)
        if e164 and e164 != phone:
            bind.execute(user.update().where(user.c.id == uid).values(phone=e164))
    op.create_index(op.f('ix_person_phone_e164'), 'person', ['phone_e164'], unique=False)
    op.create_index(op.f('ix_app_user_phone'), 'app_user', ['phone'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_app_user_phone'), table_name='app_user')
    op.drop_index(op.f('ix_person_phone_e164'), table_name='person')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('phone_e164')
