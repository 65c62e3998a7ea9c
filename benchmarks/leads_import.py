"""Import of a generated 100,000-row XLSX into the leads service: time and peak memory.

The file has Chinese headers (姓名, 手机号码, 地区, 行业, 来源, 标签, 出生年份) and what real files have:
every 100th row is a person already imported (merged), every 250th row a bad number
(rejected). The service runs in this process on a dedicated nats-server and SQLite (PostgreSQL
when TEST_DATABASE_URL is set), with its projections running, as in production.

Figures:
- import_seconds / rows_per_second: upload accepted -> job ``done`` (every row has its result);
- projected_seconds: until the read model lists every lead (the projection runs alongside);
- rerun_seconds: the same file again (every row ``duplicate``, no event written);
- peak_rss_mb_during_import: the process's resident memory sampled every 50 ms during the
  import, and rss_mb_before (after generating the file, before the import): the difference is
  what the import holds; it must not grow with the number of rows.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROWS = int(os.environ.get("BENCH_LEAD_ROWS", "100000"))


def generate(path: Path, rows: int) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("客户")
    sheet.append(["姓名", "手机号码", "地区", "行业", "来源", "标签", "出生年份"])
    regions = ["广东", "北京", "上海", "江苏", "浙江"]
    industries = ["教育", "金融", "制造", "零售"]
    for i in range(rows):
        if i % 250 == 249:
            phone: object = "12345"  # rejected
        elif i % 100 == 99:
            phone = 13900000000 + (i - 50)  # a person from 50 rows earlier: merged
        else:
            phone = 13900000000 + i  # Excel keeps typed numbers as numbers
        sheet.append(
            [f"客户{i}", phone, regions[i % 5], industries[i % 4], "展会", "vip,回访" if i % 3 else "", 1950 + i % 50]
        )
    workbook.save(path)


class _FileSource:
    """What the API hands the importer (an UploadFile): ``await read(n)``."""

    def __init__(self, path: Path) -> None:
        self.handle = path.open("rb")

    async def read(self, size: int) -> bytes:
        return self.handle.read(size)


async def _run(workdir: Path, xlsx: Path, database_url: str) -> dict[str, Any]:
    import psutil
    from common.testing import NatsServerProcess, started_runtime
    from leads.service import SPEC
    from leads.settings import LeadsSettings
    from leads.tables import import_job, lead
    from sqlalchemy import func, select

    process = psutil.Process()
    server = NatsServerProcess()
    server.start()
    pg = database_url.startswith("postgres")
    settings = LeadsSettings(
        nats_url=server.url,
        event_namespace="b" + uuid.uuid4().hex[:8],
        database_url=database_url,
        import_dir=workdir / "imports",
        log_level="WARNING",
    )
    runtime = await started_runtime(SPEC, settings, run_projections=os.environ.get("BENCH_NO_PROJ") is None)
    importer = runtime.context.importer
    rss_before = process.memory_info().rss
    peak = [rss_before]
    sampling = True

    async def sample() -> None:
        while sampling:
            peak[0] = max(peak[0], process.memory_info().rss)
            await asyncio.sleep(0.05)

    async def job_status(import_id: str) -> dict[str, Any]:
        async with runtime.session_factory() as session:
            row = (await session.execute(select(import_job).where(import_job.c.import_id == import_id))).mappings()
            return dict(row.one())

    async def wait(import_id: str) -> dict[str, Any]:
        while True:
            job = await job_status(import_id)
            if job["status"] in ("done", "failed"):
                return job
            await asyncio.sleep(0.2)

    try:
        sampler = asyncio.create_task(sample())
        started = time.perf_counter()
        import_id = await importer.create_job(_FileSource(xlsx), xlsx.name, {})
        first = await wait(import_id)
        import_seconds = time.perf_counter() - started
        sampling = False
        await sampler

        expected = first["created"]
        while runtime.runners:
            async with runtime.session_factory() as session:
                count = (await session.execute(select(func.count()).select_from(lead))).scalar_one()
            if count >= expected:
                break
            await asyncio.sleep(0.2)
        projected_seconds = time.perf_counter() - started

        started = time.perf_counter()
        second = await wait(await importer.create_job(_FileSource(xlsx), xlsx.name, {}))
        rerun_seconds = time.perf_counter() - started
    finally:
        sampling = False
        await runtime.stop()
        server.cleanup()
    counts = {k: first[k] for k in ("created", "merged", "duplicate", "rejected")}
    return {
        "benchmark": "leads_import",
        "database": "postgresql" if pg else "sqlite",
        "rows": ROWS,
        "status": first["status"],
        "error": first["error"],
        "counts": counts,
        "import_seconds": round(import_seconds, 1),
        "rows_per_second": round(ROWS / import_seconds),
        "projected_seconds": round(projected_seconds, 1),
        "rerun_seconds": round(rerun_seconds, 1),
        "rerun_counts": {k: second[k] for k in ("created", "merged", "duplicate", "rejected")},
        "rss_mb_before": round(rss_before / 1e6, 1),
        "peak_rss_mb_during_import": round(peak[0] / 1e6, 1),
    }


def main() -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="leads-bench-") as tmp:
        workdir = Path(tmp)
        xlsx = workdir / "leads.xlsx"
        started = time.perf_counter()
        generate(xlsx, ROWS)
        generated = time.perf_counter() - started
        size = xlsx.stat().st_size
        from common.testing import _drop_created, _fresh_database

        pg = os.environ.get("TEST_DATABASE_URL", "").startswith("postgres")
        database_url = _fresh_database("postgresql") if pg else f"sqlite:///{workdir / 'leads.db'}"
        try:
            figures = asyncio.run(_run(workdir, xlsx, database_url))
        finally:
            _drop_created()
    figures["generate_seconds"] = round(generated, 1)
    figures["file_mb"] = round(size / 1e6, 1)
    print(figures)
    return figures


if __name__ == "__main__":
    main()
