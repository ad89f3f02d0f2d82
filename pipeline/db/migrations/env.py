"""Alembic environment: the URL comes from the caller (``pipeline.db.migrate``)."""

from alembic import context
from sqlalchemy.engine import Connection

from pipeline.db.models import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run migrations against the configured URL (or a connection passed in)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: Connection) -> None:
    # a connection handed in inside the caller's transaction is left as the caller set it
    sqlite = connection.dialect.name == "sqlite" and not connection.in_transaction()
    if sqlite:
        # batch migrations rebuild tables (copy, drop, rename): with foreign keys on, dropping
        # a table other rows point at fails. The pragma only works outside a transaction;
        # the references are checked once the migration is done.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()  # end the implicit transaction, or alembic would not commit its own
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    try:
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration left {len(broken)} broken references: {broken[:5]}")
    finally:
        if sqlite:
            connection.rollback()
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


run_migrations_online()
