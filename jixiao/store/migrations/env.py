"""Alembic environment: runs on the connection ``Store`` passes in ``config.attributes``
(or, from the ``alembic`` command line, on ``sqlalchemy.url`` / ``JIXIAO_DB_URL``)."""

from __future__ import annotations

from alembic import context

from jixiao.store.tables import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things: copy-and-move
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from jixiao.store.engine import make_engine

    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from jixiao.settings import load_settings

        url = load_settings().db_url
    engine = make_engine(url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported: give a database URL")
run()
