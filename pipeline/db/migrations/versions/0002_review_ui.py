"""review screen and dashboard: sessions, locks, inventory, record versions, previews

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_web_sessions_expires_at'), ['expires_at'], unique=False)

    op.create_table('record_locks',
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('record_id')
    )
    with op.batch_alter_table('record_locks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_locks_user_id'), ['user_id'], unique=False)

    op.create_table('inventory_books',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency', sa.String(length=64), nullable=False),
    sa.Column('book_type', sa.String(length=16), nullable=False),
    sa.Column('book', sa.String(length=64), nullable=False),
    sa.Column('year_from', sa.Integer(), nullable=False),
    sa.Column('year_to', sa.Integer(), nullable=False),
    sa.Column('estimated_pages', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=32), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agency', 'book_type', 'book', name='uq_inventory_book')
    )
    with op.batch_alter_table('inventory_books', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inventory_books_phase'), ['phase'], unique=False)

    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preview_key', sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column('preview_scale', sa.Float(), nullable=True))

    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('approved_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key('fk_records_approved_by', 'users', ['approved_by'], ['id'])
        batch_op.create_index('ix_records_queue', ['status', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_records_queue_phase', ['status', 'phase', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_records_approved_at', ['approved_at'], unique=False)

    with op.batch_alter_table('fields', schema=None) as batch_op:
        batch_op.create_index('ix_fields_record_review', ['record_id', 'needs_review'], unique=False)

    with op.batch_alter_table('review_events', schema=None) as batch_op:
        batch_op.create_index('ix_review_events_user_at', ['user_id', 'at'], unique=False)

    # the audit trail is append-only, in the database itself
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for verb in ('UPDATE', 'DELETE'):
            op.execute(
                f"CREATE TRIGGER review_events_no_{verb.lower()} BEFORE {verb} ON review_events "
                "BEGIN SELECT RAISE(ABORT, 'review_events is append-only'); END"
            )
    elif dialect == 'postgresql':
        op.execute(
            "CREATE FUNCTION review_events_append_only() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'review_events is append-only'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER review_events_append_only BEFORE UPDATE OR DELETE ON review_events "
            "FOR EACH ROW EXECUTE FUNCTION review_events_append_only()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        op.execute("DROP TRIGGER IF EXISTS review_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS review_events_no_delete")
    elif dialect == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS review_events_append_only ON review_events")
        op.execute("DROP FUNCTION IF EXISTS review_events_append_only()")
    with op.batch_alter_table('review_events', schema=None) as batch_op:
        batch_op.drop_index('ix_review_events_user_at')
    with op.batch_alter_table('fields', schema=None) as batch_op:
        batch_op.drop_index('ix_fields_record_review')
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_index('ix_records_approved_at')
        batch_op.drop_index('ix_records_queue_phase')
        batch_op.drop_index('ix_records_queue')
        batch_op.drop_constraint('fk_records_approved_by', type_='foreignkey')
        batch_op.drop_column('approved_at')
        batch_op.drop_column('approved_by')
        batch_op.drop_column('version')
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.drop_column('preview_scale')
        batch_op.drop_column('preview_key')
    op.drop_table('inventory_books')
    op.drop_table('record_locks')
    op.drop_table('web_sessions')
