"""Database access for a service's own projection: async SQLAlchemy on SQLite or PostgreSQL,
and Alembic migrations run at start-up."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import ColumnElement, Table, event, func
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext import asyncio as sa_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase

COMMON_MIGRATIONS = Path(__file__).parent / "migrations"


class Base(DeclarativeBase):
    """Declarative base; every service declares its own tables on its own metadata."""


def async_url(url: str) -> str:
    """Accept the URLs people write (postgresql://, sqlite:///) and pick the async driver."""
    parsed = make_url(url)
    driver = parsed.drivername
    if driver in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif driver in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# --- the SQL both dialects write differently ------------------------------------------------

# PostgreSQL's and SQLite's INSERT take the same ON CONFLICT clauses (``on_conflict_do_update``
# with ``excluded``, ``on_conflict_do_nothing``); only the class differs.
UpsertInsert = PgInsert | SqliteInsert


def insert(session: AsyncSession, table: Table) -> UpsertInsert:
    """``INSERT INTO table`` in the session's dialect, with ``on_conflict_do_update/_nothing``."""
    return pg_insert(table) if is_postgresql(session) else sqlite_insert(table)


async def upsert(
    session: AsyncSession,
    table: Table,
    values: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    update_columns: Sequence[str] | None = None,
) -> None:
    """Insert one row, or on a conflict over ``keys`` update ``update_columns`` (default: every
    column given but the keys) to the new values; no column to update means keep the row.

    ``values`` may also be a list of rows (each with the same columns, no key twice): one
    statement for all of them (executemany, sent as multi-row inserts), for a projection's batch."""
    rows = [values] if isinstance(values, Mapping) else list(values)
    if not rows:
        return
    stmt = insert(session, table)
    columns = [c for c in (update_columns if update_columns is not None else rows[0]) if c not in keys]
    if columns:
        stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_={c: stmt.excluded[c] for c in columns})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    if len(rows) == 1:
        await session.execute(stmt.values(**rows[0]))
    else:
        await session.execute(stmt, [dict(row) for row in rows])


def greatest(session: AsyncSession, a: Any, b: Any) -> ColumnElement[Any]:
    """GREATEST on PostgreSQL, two-argument MAX on SQLite. On NULL they differ (GREATEST skips
    it, MAX yields NULL): wrap the arguments in COALESCE where one may be NULL."""
    return func.greatest(a, b) if is_postgresql(session) else func.max(a, b)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    # Looked up on the module at each call, not imported by name: the SQLAlchemy instrumentation
    # (common.telemetry.instrument_libraries) wraps the module's function to trace each engine.
    create_async_engine = sa_asyncio.create_async_engine
    url = async_url(url)
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN
        # itself (SQLAlchemy docs, "Serializable isolation / Savepoints / Transactional DDL").
        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            # Deleted and overwritten content is zeroed, not left in free pages where a copy of
            # the file would still show it: erasing a lead's personal data must erase the bytes.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # IMMEDIATE takes the write lock at once, so a transaction that reads then writes
            # never fails to upgrade; one marked read-only (``read_only``) begins DEFERRED and
            # reads beside the writer (WAL) instead of queueing for its lock.
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


READ_ONLY = "tm_read_only"


async def read_only(session: AsyncSession) -> None:
    """Mark the session's next transaction as reading only (call before its first query). On
    SQLite it then begins DEFERRED: it does not take the database's one write lock, so a
    request's lookups no longer wait behind the projections' batches (nor hold them up). A
    write in such a transaction may fail with "database is locked"; PostgreSQL is unaffected."""
    await session.connection(execution_options={READ_ONLY: True})


async def checkpoint_wal(session: AsyncSession) -> None:
    """On SQLite, copy the write-ahead log into the database file and truncate it to zero bytes,
    so content overwritten by a committed erasure (zeroed in the file by ``secure_delete``) is
    no longer in the ``-wal`` file either. Runs on a connection of its own, outside any
    transaction (SQLite refuses a checkpoint inside one). On PostgreSQL nothing is done here: a
    deleted row's bytes stay in its page until VACUUM reuses the space (docs/architecture.md,
    "Personal data and erasure")."""
    engine = session.bind
    if not isinstance(engine, AsyncEngine) or engine.dialect.name != "sqlite":
        return
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection  # aiosqlite's connection, in autocommit mode
        cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        await cursor.fetchall()
        await cursor.close()


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(version_locations: Sequence[Path]) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(COMMON_MIGRATIONS))
    locations = [COMMON_MIGRATIONS / "versions", *version_locations]
    cfg.set_main_option("version_locations", " ".join(str(p) for p in locations))
    cfg.set_main_option("path_separator", "space")
    return cfg


async def migrate(engine: AsyncEngine, version_locations: Sequence[Path], to: str = "heads") -> None:
    """Upgrade to every head: the runner's shared tables and the service's own, on SQLite and
    PostgreSQL alike. Safe to run on every start; concurrent replicas on PostgreSQL serialise on
    an advisory lock. ``to`` names an earlier revision, where a test writes rows as they were
    before the revision it checks."""
    cfg = alembic_config(version_locations)

    def _upgrade(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(727274)")
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, to)

    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)


async def schema_is_current(engine: AsyncEngine, version_locations: Sequence[Path]) -> bool:
    """Whether the database is at every head this code knows: what a replica that leaves the
    migrations to a deployment's migration job (``MIGRATE_ON_START=false``) waits for."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(alembic_config(version_locations)).get_heads())

    def _current(connection: Connection) -> set[str]:
        return set(MigrationContext.configure(connection).get_current_heads())

    async with engine.connect() as conn:
        return await conn.run_sync(_current) == heads
