"""audit trail append-only against INSERT OR REPLACE (SQLite) and TRUNCATE (PostgreSQL)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 10:00:00

0002 refused UPDATE and DELETE. SQLite's ``INSERT OR REPLACE`` (and ``REPLACE INTO``)
deletes the row it collides with without firing DELETE triggers (they fire only under
``PRAGMA recursive_triggers``), so an audit row could be rewritten: a BEFORE INSERT trigger
now refuses an id that already exists, before any conflict is resolved. On PostgreSQL
``INSERT … ON CONFLICT DO UPDATE`` runs the UPDATE trigger (tested), but TRUNCATE skips
row triggers: a statement trigger refuses it.
"""
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        op.execute(
            "CREATE TRIGGER review_events_no_replace BEFORE INSERT ON review_events "
            "WHEN EXISTS (SELECT 1 FROM review_events WHERE id = NEW.id) "
            "BEGIN SELECT RAISE(ABORT, 'review_events is append-only'); END"
        )
    elif dialect == 'postgresql':
        op.execute(
            "CREATE TRIGGER review_events_no_truncate BEFORE TRUNCATE ON review_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION review_events_append_only()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        op.execute("DROP TRIGGER IF EXISTS review_events_no_replace")
    elif dialect == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS review_events_no_truncate ON review_events")
