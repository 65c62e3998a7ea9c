"""The dialect-aware SQL of ``common.db`` (upsert, greatest) on SQLite and PostgreSQL alike."""

from __future__ import annotations

from common.db import create_engine, greatest, insert, sessionmaker, upsert
from common.testing import ProvisionedDatabase
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select

metadata = MetaData()
row = Table(
    "upsert_probe",
    metadata,
    Column("k", String(16), primary_key=True),
    Column("a", Integer),
    Column("b", Integer),
)


async def test_upsert_and_greatest(any_database: ProvisionedDatabase) -> None:
    engine = create_engine(any_database.url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    sessions = sessionmaker(engine)
    async with sessions() as session, session.begin():
        await upsert(session, row, {"k": "x", "a": 1, "b": 1}, ["k"])
        await upsert(session, row, {"k": "x", "a": 2, "b": 2}, ["k"], update_columns=["a"])  # b kept
        await upsert(session, row, {"k": "y", "a": 5, "b": 5}, ["k"], update_columns=[])
        await upsert(session, row, {"k": "y", "a": 6, "b": 6}, ["k"], update_columns=[])  # row kept
        stmt = insert(session, row).values(k="x", a=0, b=9)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["k"],
                set_={
                    "a": greatest(session, row.c.a, stmt.excluded.a),
                    "b": greatest(session, row.c.b, stmt.excluded.b),
                },
            )
        )
        rows = {r.k: (r.a, r.b) for r in (await session.execute(select(row))).all()}
        # NULL is where the dialects differ (GREATEST skips it, MAX yields it): callers COALESCE.
        both = (await session.execute(select(greatest(session, func.coalesce(None, 3), 4)))).scalar_one()
    await engine.dispose()
    assert rows == {"x": (2, 9), "y": (5, 5)}
    assert both == 4


async def test_upsert_of_many_rows_in_one_statement(any_database: ProvisionedDatabase) -> None:
    engine = create_engine(any_database.url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    sessions = sessionmaker(engine)
    async with sessions() as session, session.begin():
        await upsert(session, row, {"k": "x", "a": 1, "b": 1}, ["k"])
        await upsert(
            session, row, [{"k": "x", "a": 2, "b": 2}, {"k": "z", "a": 3, "b": 3}], ["k"], update_columns=["a"]
        )
        await upsert(session, row, [{"k": "z", "a": 9, "b": 9}, {"k": "w", "a": 4, "b": 4}], ["k"], update_columns=[])
        await upsert(session, row, [], ["k"])
        rows = {r.k: (r.a, r.b) for r in (await session.execute(select(row))).all()}
    await engine.dispose()
    assert rows == {"x": (2, 1), "z": (3, 3), "w": (4, 4)}
