"""audit_entry.tapped_at and tapped_note: when the phone says a post was tapped, beside the time received.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 02:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN, not batch mode: on SQLite a batch copy would recreate the table and lose its
    # append-only triggers (0001).
    op.add_column('audit_entry', sa.Column('tapped_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('audit_entry', sa.Column('tapped_note', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('audit_entry', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('tapped_note')
        batch_op.drop_column('tapped_at')
