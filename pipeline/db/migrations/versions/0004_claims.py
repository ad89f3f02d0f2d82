"""many workers: page claims with leases, and the log of every claim

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 08:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=128), nullable=True))
        batch_op.add_column(
            sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column('attempts', sa.Integer(), server_default='0', nullable=False)
        )

    op.create_table('page_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('worker', sa.String(length=128), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('seconds', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['page_id'], ['pages.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('page_runs', schema=None) as batch_op:
        batch_op.create_index('ix_page_runs_page', ['page_id', 'attempt'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('page_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_page_runs_page')
    op.drop_table('page_runs')
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.drop_column('attempts')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('claimed_by')
