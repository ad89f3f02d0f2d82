"""agency names: the inventory may name each agency (issue 20, item 13)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 11:15:00

Screens showed agencies by their codes ("40.QUYNH-HUNG"); the inventory CSV may now give the
agency's name (column ``agency_name`` or ``ten_co_quan``), shown beside or instead of the code.
Existing rows: no name (the code is shown, as before).
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inventory_books') as batch:
        batch.add_column(sa.Column('agency_name', sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('inventory_books') as batch:
        batch.drop_column('agency_name')
