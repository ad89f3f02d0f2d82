"""inventory_books: the archival settings of a book (issue 19)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 06:30:00

A book handed to the archives needs its fonds code (mã phông) and the other settings of the
file (mục lục, hộp số, số và ký hiệu hồ sơ, tiêu đề, thời hạn bảo quản, chế độ sử dụng); the
inventory CSV may carry them. Existing rows: none.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('inventory_books', sa.Column('archival', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('inventory_books', schema=None) as batch_op:
        batch_op.drop_column('archival')
