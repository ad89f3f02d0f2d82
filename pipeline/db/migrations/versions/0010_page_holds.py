"""pages: a clerk says a page cannot be read or must be scanned again (issue 20, item 5)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 08:10:00

``hold_kind`` is "unreadable" (không đọc được) or "rescan" (cần quét lại), ``hold_reason``
the clerk's words, ``hold_by`` / ``hold_at`` who and when. The page's records are held
(status "held") until the operator has scanned the page again or a manager releases them.
Existing rows: no hold.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('pages', sa.Column('hold_kind', sa.String(length=16), nullable=True))
    op.add_column('pages', sa.Column('hold_reason', sa.Text(), nullable=True))
    op.add_column('pages', sa.Column('hold_by', sa.Integer(), nullable=True))
    op.add_column('pages', sa.Column('hold_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.drop_column('hold_at')
        batch_op.drop_column('hold_by')
        batch_op.drop_column('hold_reason')
        batch_op.drop_column('hold_kind')
