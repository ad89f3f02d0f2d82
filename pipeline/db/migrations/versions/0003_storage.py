"""storage you can trust: keys of cleaned images and ALTO per page

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 08:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clean_key', sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column('alto_key', sa.String(length=1024), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.drop_column('alto_key')
        batch_op.drop_column('clean_key')
