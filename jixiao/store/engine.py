"""Opening a store: engine, SQLite pragmas, migrations applied at start, sessions."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from schemas.errors import JixiaoError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any 64-bit number: PostgreSQL advisory lock held while migrations run.
_PG_MIGRATION_LOCK = 0x6A6978696E6F


class StoreError(JixiaoError):
    """The store cannot be opened or written (the message names JIXIAO_DB_URL)."""


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def make_engine(url: str) -> Engine:
    """An engine for ``url``. SQLite: the folder is created, WAL journal, foreign keys on,
    a 30 s busy timeout, and every transaction starts with ``BEGIN IMMEDIATE`` (the write
    lock is taken up front, so two writers wait for each other instead of failing)."""
    try:
        u = make_url(url)
    except ArgumentError as e:
        raise StoreError(f"JIXIAO_DB_URL / --db: not a database URL: {url!r}") from e
    kwargs: dict[str, Any] = {"json_serializer": _dumps, "future": True}
    sqlite = u.get_backend_name() == "sqlite"
    memory = sqlite and u.database in (None, "", ":memory:")
    if sqlite and not memory and u.database:
        Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    if memory:
        kwargs["poolclass"] = StaticPool
        kwargs["connect_args"] = {"check_same_thread": False}
    elif sqlite:
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(u, **kwargs)
    except Exception as e:  # unknown dialect or missing driver
        raise StoreError(f"JIXIAO_DB_URL / --db: cannot use {u!r}: {e}") from e
    if sqlite:

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy (not the sqlite3 module) decide when transactions begin.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            if not memory:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configuration for the migrations shipped in this package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(MIGRATIONS / "versions"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revisions() -> tuple[str, ...]:
    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as conn:
        return tuple(MigrationContext.configure(conn).get_current_heads())


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Apply the shipped migrations up to ``revision`` (all heads by default)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        command.upgrade(alembic_config(conn), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)


class Store:
    """A database with the jixiao schema. ``Store(url)`` opens it and applies the
    migrations, so a new SQLite file just works. Use ``with store.session() as s:`` for one
    transaction (committed on success, rolled back on an exception)."""

    def __init__(self, url: str | None = None, *, migrate: bool = True) -> None:
        if url is None:
            from jixiao.settings import load_settings

            url = load_settings().db_url
        self.url = url
        self.engine = make_engine(url)
        if migrate:
            try:
                upgrade(self.engine)
            except OperationalError as e:
                self.engine.dispose()
                raise StoreError(
                    f"cannot open the store at {make_url(url)!r} (set JIXIAO_DB_URL or --db): "
                    f"{e.orig}"
                ) from e
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: commit when the block ends, roll back if it raises."""
        with self._sessions.begin() as s:
            yield s

    def new_session(self) -> Session:
        """A session the caller manages (``with store.new_session() as s, s.begin(): …``)."""
        return self._sessions()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({make_url(self.url)!r})"


def open_store(url: str | None = None) -> Store:
    """Open (and migrate) the store at ``url``; default ``Settings.db_url``."""
    return Store(url)
