"""pages and fields: documents over several pages (issue 18)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 06:00:00

A letter's signer is on its last page; a register book scanned one page at a time has each
entry's cells on a left and a right page. ``pages.layout`` keeps what document assembly needs
of a page (a Decree-30 header starts here, the document ends here, its register table) and the
records a later page holds for the document it belongs to until they are joined;
``pages.document_page_id`` is the first page of the page's document once joined;
``fields.page_id`` the page a field was read on when it is not its record's own page.
Existing rows: no layout, not joined, every field on its record's page.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('pages', sa.Column('layout', sa.JSON(), nullable=True))
    op.add_column('pages', sa.Column('document_page_id', sa.Integer(), nullable=True))
    op.add_column('fields', sa.Column('page_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('fields', schema=None) as batch_op:
        batch_op.drop_column('page_id')
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.drop_column('document_page_id')
        batch_op.drop_column('layout')
