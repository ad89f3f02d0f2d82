"""keyings: blind double keying of key fields (issue 20, item 3)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 08:40:00

Where a phase asks for it, the key fields the machine was unsure of (name, date of birth,
registration date, entry number) are keyed by two clerks, the second without seeing the
first's values. Each keying is a row; agreement approves, disagreement goes to an arbiter.
Existing rows: none.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'keyings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('values', sa.JSON(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['record_id'], ['records.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_keyings_record_id', 'keyings', ['record_id'])


def downgrade() -> None:
    op.drop_index('ix_keyings_record_id', table_name='keyings')
    op.drop_table('keyings')
