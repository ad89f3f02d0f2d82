"""fields: handwritten ink and the other readers' readings (issue 17)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 23:30:00

A field whose ink is handwritten is never auto-accepted on one reading and the clerk sees
"viết tay" beside it; when a second reader read a key field differently, its reading is kept
as the clerk's first suggestion. Existing rows: not handwritten, no other reading.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        'fields',
        sa.Column('handwritten', sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column('fields', sa.Column('alternatives', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('fields', schema=None) as batch_op:
        batch_op.drop_column('alternatives')
        batch_op.drop_column('handwritten')
