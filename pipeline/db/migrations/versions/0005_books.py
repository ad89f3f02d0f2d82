"""books: one row per book with its storage prefix; pages numbered per book; output checksums

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 19:50:00

Existing batches get their book (created in batch order, so the first book keeps the
plain key path); existing pages are numbered per book in (batch, seq) order. Keys
already stored stay as the rows name them.
"""
from alembic import op
import sqlalchemy as sa

from pipeline.db.books import candidate_paths, clean_name


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('books',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency', sa.String(length=64), nullable=False),
    sa.Column('book_type', sa.String(length=16), nullable=False),
    sa.Column('book', sa.String(length=64), nullable=False),
    sa.Column('key_path', sa.String(length=512), nullable=False),
    sa.Column('next_page', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agency', 'book_type', 'book', name='uq_book'),
    sa.UniqueConstraint('key_path', name='uq_book_key_path'),
    )
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('book_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_batches_book_id', ['book_id'], unique=False)
        batch_op.create_foreign_key('fk_batches_book', 'books', ['book_id'], ['id'])
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('book_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('book_page', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('outputs', sa.JSON(), nullable=True))
        batch_op.create_foreign_key('fk_pages_book', 'books', ['book_id'], ['id'])
    _fill_books()
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_page_book_page', ['book_id', 'book_page'])


def _fill_books() -> None:
    conn = op.get_bind()
    batches = conn.execute(
        sa.text('SELECT id, agency, book_type, book FROM batches ORDER BY id')
    ).all()
    books: dict[tuple[str, str, str], int] = {}
    taken: set[str] = set()
    for batch_id, agency, book_type, book in batches:
        ident = (clean_name(agency), book_type, clean_name(book))
        if ident not in books:
            path = next(p for p in candidate_paths(*ident) if p not in taken)
            taken.add(path)
            conn.execute(
                sa.text(
                    'INSERT INTO books (agency, book_type, book, key_path, next_page, created_at)'
                    ' VALUES (:a, :t, :b, :p, 1, CURRENT_TIMESTAMP)'
                ),
                {'a': ident[0], 't': ident[1], 'b': ident[2], 'p': path},
            )
            books[ident] = conn.execute(
                sa.text('SELECT id FROM books WHERE key_path = :p'), {'p': path}
            ).scalar_one()
        conn.execute(
            sa.text('UPDATE batches SET book_id = :k WHERE id = :i'),
            {'k': books[ident], 'i': batch_id},
        )
    for book_id in books.values():
        _number_pages(conn, book_id)


def _number_pages(conn: sa.engine.Connection, book_id: int) -> None:
    """Number a book's pages; a later batch's pages above every key the book already used.

    Pages of the book's first batch keep their number (their objects are ``p{seq}``); before
    books existed every batch numbered from 1, so a later batch's pages are numbered after the
    highest ``seq`` of any batch of the book — a page processed again then writes new keys,
    never an object another page's row names.
    """
    rows = conn.execute(
        sa.text(
            'SELECT p.id, p.batch_id, p.seq FROM pages p JOIN batches b ON p.batch_id = b.id'
            ' WHERE b.book_id = :k ORDER BY p.batch_id, p.seq, p.id'
        ),
        {'k': book_id},
    ).all()
    used = max((seq for _id, _b, seq in rows), default=0)
    first_batch = rows[0][1] if rows else None
    top = used
    for page_id, batch_id, seq in rows:
        if batch_id == first_batch:
            number = seq
        else:
            top += 1
            number = top
        conn.execute(
            sa.text('UPDATE pages SET book_id = :k, book_page = :n WHERE id = :i'),
            {'k': book_id, 'n': number, 'i': page_id},
        )
    conn.execute(
        sa.text('UPDATE books SET next_page = :n WHERE id = :k'), {'n': top + 1, 'k': book_id}
    )


def downgrade() -> None:
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.drop_constraint('uq_page_book_page', type_='unique')
        batch_op.drop_constraint('fk_pages_book', type_='foreignkey')
        batch_op.drop_column('outputs')
        batch_op.drop_column('book_page')
        batch_op.drop_column('book_id')
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.drop_constraint('fk_batches_book', type_='foreignkey')
        batch_op.drop_index('ix_batches_book_id')
        batch_op.drop_column('book_id')
    op.drop_table('books')
