"""api_token.expires_at: partner tokens end (issue 24). Tokens made before keep NULL (no end) until revoked.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 05:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('api_token', sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column('api_token', 'expires_at')
