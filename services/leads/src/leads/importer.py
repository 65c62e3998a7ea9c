"""Bulk import of CSV and XLSX files, as a background task with progress and per-row results.

Memory stays bounded whatever the file size: the upload is streamed to disk, rows are read
one at a time (``csv`` over a decoding text stream, openpyxl in read-only mode) and handled in
chunks of ``import_chunk_rows``; each chunk's results and the job's counters are committed
together, so the progress a client sees is always what is stored.

Per chunk: rows are parsed and normalised (pure), rows whose exact content was imported before
are answered ``duplicate`` at once (``import_fingerprint``: that is what makes a re-run cheap
and change nothing), rows whose number is not known yet are created in bulk (one transaction
for their personal data, their ``LeadCreated`` events published concurrently), and the rest
(the same person again, referrals) go through the one-at-a-time command handler that merges.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import logging
import tempfile
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from common.events.base import DomainEvent
from common.privacy import name_digest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from leads.domain.importing import (
    ColumnMap,
    LeadDraft,
    RowRejected,
    UnreadableFile,
    detect_encoding,
    draft_from_cells,
    is_blank,
    map_columns,
    row_cells,
)
from leads.domain.lead import Lead, LeadError, decide_create, evolve
from leads.domain.phones import InvalidNumber, cell_to_text, normalise
from leads.handlers import (
    LeadsContext,
    _remove_pii,
    active_dnc_digests,
    add_dnc_number,
    create_or_merge,
    dnc_events_for_new_lead,
    lead_number,
    match_key,
    new_lead_id,
    now_utc,
    salted_ids,
)
from leads.tables import import_fingerprint, import_job, import_row, lead_number_pii, lead_pii

log = logging.getLogger(__name__)

SAMPLE_BYTES = 256 * 1024


class ImportAborted(RuntimeError):
    pass


class RetryRefused(RuntimeError):
    """Only a failed import whose file is still there can go on."""


class FileRejected(ValueError):
    """An uploaded file that cannot be read (413 when too large, else 422)."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


@dataclass(frozen=True, slots=True)
class DncFileResult:
    added: list[dict[str, Any]]  # row, entry_id, masked, status, leads
    rejected: list[dict[str, Any]]  # row, reason


async def import_dnc_file(
    ctx: LeadsContext, upload: Any, *, source: str, reason: str, until: datetime | None
) -> DncFileResult:
    """A do-not-call list file (CSV or XLSX; a phone column such as 电话/手机/phone, or one column
    without a header): every number added to the list as ``POST /v1/dnc`` adds it, bad numbers
    reported by row. The upload is streamed to a temporary file, never held whole in memory."""
    settings = ctx.settings
    with tempfile.NamedTemporaryFile(delete=False, suffix=".upload") as tmp:
        path = Path(tmp.name)
        size = 0
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > settings.import_max_bytes:
                tmp.close()
                path.unlink(missing_ok=True)  # noqa: ASYNC240 - a local temporary file
                raise FileRejected("file too large", too_large=True)
            tmp.write(chunk)
    added: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []

    async def add(row_no: int, value: object) -> None:
        text = cell_to_text(value)
        if not text:
            return
        try:
            number = normalise(text, settings.default_region, settings.default_timezone)
        except InvalidNumber as exc:
            rejected.append({"row": row_no, "reason": str(exc)})
            return
        entry = await add_dnc_number(ctx, number, source=source, reason=reason, until=until)
        added.append(
            {
                "row": row_no,
                "entry_id": entry.entry_id,
                "masked": entry.masked,
                "status": entry.status,
                "leads": entry.leads,
            }
        )

    try:
        try:
            opened = open_rows(path)
        except ValueError as exc:
            raise FileRejected(str(exc)) from None
        columns = map_columns(opened.header)
        index = next((columns.fields[f] for f in ("phone", "office_phone", "home_phone") if f in columns.fields), None)
        try:
            if index is None:  # no header: the first row is a number already
                index = 0
                await add(opened.header_row, opened.header[0] if opened.header else None)
            for row_no, values in opened.rows:
                await add(row_no, values[index] if index < len(values) else None)
        finally:
            opened.close()
    finally:
        path.unlink(missing_ok=True)  # noqa: ASYNC240 - a local temporary file
    return DncFileResult(added, rejected)


@dataclass
class RowResult:
    row_no: int
    status: str  # created | merged | duplicate | rejected
    lead_id: str | None = None
    reason: str | None = None
    fingerprint: str | None = None


@dataclass
class Pending:
    row_no: int
    draft: LeadDraft
    fingerprint: str
    keys: list[str]
    person_digest: str | None


# --- reading files -----------------------------------------------------------------------------


@dataclass
class OpenedFile:
    format: str
    encoding: str | None
    header: Sequence[object]
    header_row: int
    rows: Iterator[tuple[int, Sequence[object]]]
    total_rows: int | None
    close: Any


def _count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            count += chunk.count(b"\n")
    return count


def open_rows(path: Path) -> OpenedFile:
    """The header and a row iterator of an XLSX or CSV file (whichever the bytes say it is)."""
    with path.open("rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    if head.startswith(b"PK") and zipfile.is_zipfile(path):
        return _open_xlsx(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile("old Excel .xls files are not supported: save as .xlsx or CSV")
    return _open_csv(path, head, complete=path.stat().st_size <= SAMPLE_BYTES)


def _open_xlsx(path: Path) -> OpenedFile:
    import openpyxl

    handle = path.open("rb")  # a file object: openpyxl judges a path by its extension
    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:
        handle.close()
        raise UnreadableFile(f"not a readable XLSX file: {exc}") from None

    def close() -> None:
        workbook.close()
        handle.close()

    sheet = workbook.worksheets[0]
    total = sheet.max_row if isinstance(sheet.max_row, int) else None
    rows = enumerate(sheet.iter_rows(values_only=True), start=1)
    for row_no, values in rows:
        if not is_blank(values):
            return OpenedFile("xlsx", None, values, row_no, rows, (total - row_no) if total else None, close)
    close()
    raise UnreadableFile("the first sheet is empty")


def _open_csv(path: Path, head: bytes, *, complete: bool) -> OpenedFile:
    encoding = detect_encoding(head, complete=complete)
    text = io.open(path, encoding=encoding, errors="replace", newline="")  # noqa: UP020 - explicit codec
    sample = text.read(64 * 1024)
    text.seek(0)
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text, dialect)
    rows = enumerate(reader, start=1)
    for row_no, values in rows:
        if not is_blank(values):
            total = max(_count_lines(path) - row_no, 0)
            return OpenedFile("csv", encoding, values, row_no, rows, total, text.close)
    text.close()
    raise UnreadableFile("the file has no rows")


# --- the job -----------------------------------------------------------------------------------


class Importer:
    def __init__(self, ctx: LeadsContext, spawn: Any = None) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self._spawn = spawn or asyncio.create_task
        self.tasks: dict[str, asyncio.Task[None]] = {}

    def file_path(self, import_id: str) -> Path:
        return Path(self.settings.import_dir) / f"{import_id}.upload"

    async def create_job(self, source: Any, filename: str | None, options: dict[str, Any]) -> str:
        """Stream the upload to disk (never whole in memory), record the job, start it."""
        import hashlib

        import_id = "imp-" + uuid.uuid4().hex[:16]
        path = self.file_path(import_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        with path.open("wb") as out:
            while chunk := await source.read(1 << 20):
                size += len(chunk)
                if size > self.settings.import_max_bytes:
                    out.close()
                    path.unlink(missing_ok=True)
                    raise ValueError(f"file larger than {self.settings.import_max_bytes} bytes")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            path.unlink(missing_ok=True)
            raise ValueError("empty file")
        async with self.ctx.sessions() as session, session.begin():
            await session.execute(
                import_job.insert().values(
                    import_id=import_id,
                    filename=(filename or "")[:300] or None,
                    file_digest=digest.hexdigest(),
                    file_size=size,
                    status="queued",
                    processed=0,
                    created=0,
                    merged=0,
                    duplicate=0,
                    rejected=0,
                    options=options,
                    created_at=now_utc(),
                )
            )
        self.start(import_id)
        return import_id

    async def retry(self, import_id: str) -> None:
        """Go on with a failed import from where it stopped (rows done stay done). Raises
        ``LookupError`` for an unknown import, ``RetryRefused`` unless it failed and its file is
        still there."""
        async with self.ctx.sessions() as session, session.begin():
            status = (
                await session.execute(select(import_job.c.status).where(import_job.c.import_id == import_id))
            ).scalar_one_or_none()
            if status is None:
                raise LookupError(import_id)
            if status != "failed" or not self.file_path(import_id).exists():
                raise RetryRefused(f"import {import_id} is {status}; only a failed import with its file retries")
            await session.execute(
                update(import_job).where(import_job.c.import_id == import_id).values(status="queued", error=None)
            )
        self.start(import_id)

    def start(self, import_id: str) -> None:
        if import_id in self.tasks and not self.tasks[import_id].done():
            return
        self.tasks[import_id] = self._spawn(self.run(import_id))

    async def resume_unfinished(self) -> None:
        """After a restart: jobs that were queued or running go on from their last chunk."""
        async with self.ctx.sessions() as session:
            ids = (
                (
                    await session.execute(
                        select(import_job.c.import_id).where(import_job.c.status.in_(["queued", "running"]))
                    )
                )
                .scalars()
                .all()
            )
        for import_id in ids:
            if self.file_path(import_id).exists():
                self.start(import_id)
            else:
                await self._finish(import_id, "failed", "the uploaded file was lost in a restart; upload it again")

    async def _finish(self, import_id: str, status: str, error: str | None = None) -> None:
        async with self.ctx.sessions() as session, session.begin():
            await session.execute(
                update(import_job)
                .where(import_job.c.import_id == import_id)
                .values(status=status, error=error, finished_at=now_utc())
            )

    async def run(self, import_id: str) -> None:
        try:
            await self._run(import_id)
        except asyncio.CancelledError:
            raise  # shutting down: the job stays "running" and resumes at the next start
        except (UnreadableFile, ImportAborted, ValueError) as exc:
            await self._finish(import_id, "failed", str(exc))
        except Exception as exc:
            log.exception("import failed", extra={"import_id": import_id})
            await self._finish(import_id, "failed", f"{type(exc).__name__}: {exc}")

    async def _run(self, import_id: str) -> None:
        async with self.ctx.sessions() as session:
            job = (
                (await session.execute(select(import_job).where(import_job.c.import_id == import_id))).mappings().one()
            )
        path = self.file_path(import_id)
        opened = await asyncio.to_thread(open_rows, path)
        try:
            columns = map_columns(opened.header)
            missing = columns.missing_required()
            if missing:
                raise ImportAborted(
                    "missing columns: " + ", ".join(missing) + f" (headers found: {[str(h) for h in opened.header]})"
                )
            async with self.ctx.sessions() as session, session.begin():
                await session.execute(
                    update(import_job)
                    .where(import_job.c.import_id == import_id)
                    .values(
                        status="running",
                        format=opened.format,
                        encoding=opened.encoding,
                        total_rows=opened.total_rows,
                        columns={f: str(opened.header[i]) for f, i in columns.fields.items()},
                        unmapped_columns=columns.unmapped,
                        started_at=job["started_at"] or now_utc(),
                    )
                )
            skip = int(job["processed"] or 0)
            options = dict(job["options"] or {})
            chunk: list[tuple[int, Sequence[object]]] = []
            size = self.settings.import_chunk_rows
            rows = opened.rows
            while True:
                batch = await asyncio.to_thread(_take, rows, size)
                if not batch:
                    break
                if skip:
                    dropped = min(skip, len(batch))
                    skip -= dropped
                    batch = batch[dropped:]
                    if not batch:
                        continue
                chunk = batch
                await self._process_chunk(import_id, chunk, columns, options)
        finally:
            with contextlib.suppress(Exception):
                opened.close()
        await self._finish(import_id, "done")
        path.unlink(missing_ok=True)

    # --- one chunk ---------------------------------------------------------------------------

    async def _process_chunk(
        self,
        import_id: str,
        rows: list[tuple[int, Sequence[object]]],
        columns: ColumnMap,
        options: dict[str, Any],
    ) -> None:
        results: list[RowResult] = []
        pending: list[Pending] = []
        for row_no, values in rows:
            if is_blank(values):
                continue
            try:
                draft = draft_from_cells(
                    row_cells(values, columns),
                    default_source=options.get("source"),
                    default_region=options.get("default_region") or self.settings.default_region,
                    default_timezone=self.settings.default_timezone,
                    default_owner_agent_id=options.get("owner_agent_id"),
                    default_owner_team_id=options.get("owner_team_id"),
                )
            except RowRejected as exc:
                results.append(RowResult(row_no, "rejected", reason=str(exc)))
                continue
            if any("\ufffd" in str(v) for v in values if isinstance(v, str)):
                results.append(RowResult(row_no, "rejected", reason="characters the file's encoding cannot decode"))
                continue
            digest = name_digest(self.ctx.pii_key, draft.name)
            keys = [match_key(d.number, digest) for d in draft.numbers]
            pending.append(Pending(row_no, draft, draft.fingerprint(), keys, digest))

        async with self.ctx.sessions() as session:
            seen = (
                dict(
                    (
                        await session.execute(
                            select(import_fingerprint.c.fingerprint, import_fingerprint.c.lead_id).where(
                                import_fingerprint.c.fingerprint.in_([p.fingerprint for p in pending])
                            )
                        )
                    ).all()
                )
                if pending
                else {}
            )
            all_keys = [k for p in pending for k in p.keys]
            known_keys = (
                set(
                    (
                        await session.execute(
                            select(lead_number_pii.c.match_key).where(lead_number_pii.c.match_key.in_(all_keys))
                        )
                    )
                    .scalars()
                    .all()
                )
                if all_keys
                else set()
            )

        fast: list[Pending] = []
        slow: list[Pending] = []
        claimed: set[str] = set()
        for item in pending:
            if item.fingerprint in seen:
                results.append(
                    RowResult(item.row_no, "duplicate", seen[item.fingerprint], "already imported", item.fingerprint)
                )
            elif item.draft.profile.referred_by_lead_id or any(k in known_keys or k in claimed for k in item.keys):
                slow.append(item)
            else:
                fast.append(item)
                claimed.update(item.keys)

        if fast:
            try:
                results.extend(await self._bulk_create(fast))
            except IntegrityError:
                slow = sorted([*fast, *slow], key=lambda p: p.row_no)  # a concurrent writer: go one by one
        for item in slow:
            results.append(await self._one(item))

        async with self.ctx.sessions() as session, session.begin():
            by_row = sorted(results, key=lambda r: r.row_no)
            if by_row:
                await session.execute(
                    import_row.insert(),
                    [
                        {
                            "import_id": import_id,
                            "row_no": r.row_no,
                            "status": r.status,
                            "lead_id": r.lead_id,
                            "reason": (r.reason or None) and r.reason[:2000],
                        }
                        for r in by_row
                    ],
                )
            fingerprints = {r.fingerprint: r.lead_id for r in by_row if r.fingerprint and r.lead_id}
            fresh = [fp for fp in fingerprints if fp not in seen]
            if fresh:
                existing = set(
                    (
                        await session.execute(
                            select(import_fingerprint.c.fingerprint).where(import_fingerprint.c.fingerprint.in_(fresh))
                        )
                    )
                    .scalars()
                    .all()
                )
                rows_fp = [{"fingerprint": fp, "lead_id": fingerprints[fp]} for fp in fresh if fp not in existing]
                if rows_fp:
                    await session.execute(import_fingerprint.insert(), rows_fp)
            counts = {
                s: sum(1 for r in by_row if r.status == s) for s in ("created", "merged", "duplicate", "rejected")
            }
            await session.execute(
                update(import_job)
                .where(import_job.c.import_id == import_id)
                .values(
                    processed=import_job.c.processed + len(rows),
                    **{s: import_job.c[s] + n for s, n in counts.items()},
                )
            )

    async def _one(self, item: Pending) -> RowResult:
        try:
            outcome = await self._with_retries(lambda: create_or_merge(self.ctx, item.draft))
        except LeadError as exc:
            return RowResult(item.row_no, "rejected", reason=str(exc))
        return RowResult(item.row_no, outcome.status, outcome.lead_id, outcome.reason, item.fingerprint)

    async def _with_retries(self, make: Any, attempts: int = 5) -> Any:
        delay = 0.2
        for attempt in range(attempts):
            try:
                return await make()
            except (LeadError, RowRejected, IntegrityError):
                raise
            except Exception as exc:
                if attempt == attempts - 1:
                    raise ImportAborted(f"import stopped: {type(exc).__name__}: {exc}") from exc
                log.warning("import retry", extra={"error": str(exc)})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        raise ImportAborted("unreachable")

    async def _bulk_create(self, items: list[Pending]) -> list[RowResult]:
        """New people: their personal data in one transaction, their events published
        concurrently. A row whose events cannot be stored after retries stops the import (its
        personal data is removed again); the rows already done keep their results."""
        now = now_utc()
        planned: list[tuple[Pending, str, list[tuple[Any, Any]]]] = []
        for item in items:
            lead_id = new_lead_id()
            numbers = [(lead_number(d, self.ctx.pii_key), d.number) for d in item.draft.numbers]
            planned.append((item, lead_id, numbers))
        async with self.ctx.sessions() as session, session.begin():
            await session.execute(
                lead_pii.insert(),
                [
                    {
                        "lead_id": lead_id,
                        "full_name": item.draft.name,
                        "name_digest": item.person_digest,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for item, lead_id, _ in planned
                ],
            )
            await session.execute(
                lead_number_pii.insert(),
                [
                    {
                        "number_id": n.number_id,
                        "lead_id": lead_id,
                        "e164": raw.e164,
                        "kind": n.kind,
                        "match_key": match_key(raw, item.person_digest),
                    }
                    for item, lead_id, numbers in planned
                    for n, raw in numbers
                ],
            )
            listed = await active_dnc_digests(session, (n.number_digest for _, _, ns in planned for n, _ in ns), now)

        semaphore = asyncio.Semaphore(self.settings.import_publish_concurrency)

        async def publish(item: Pending, lead_id: str, numbers: list[tuple[Any, Any]]) -> RowResult:
            draft = item.draft
            events: list[DomainEvent] = decide_create(
                lead_id,
                [n for n, _ in numbers],
                draft.profile,
                now=now,
                owner_agent_id=draft.owner_agent_id,
                owner_team_id=draft.owner_team_id,
            )
            state: Lead = evolve(Lead(lead_id), events[0])
            dnc = dnc_events_for_new_lead(state, listed, now)
            events.extend(dnc)
            async with semaphore:
                await self._with_retries(
                    lambda: self.ctx.store.append(
                        events, expected_version=0, event_ids=salted_ids(lead_id, "create")(events)
                    )
                )
            notes = [*draft.warnings, *(["number on the do-not-call list"] if dnc else [])]
            return RowResult(item.row_no, "created", lead_id, "; ".join(notes) or None, item.fingerprint)

        outcomes = await asyncio.gather(*(publish(*p) for p in planned), return_exceptions=True)
        results: list[RowResult] = []
        failure: BaseException | None = None
        for (_item, lead_id, numbers), outcome in zip(planned, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                failure = failure or outcome
                await _remove_pii(self.ctx.sessions, lead_id, [n.number_id for n, _ in numbers])
            else:
                results.append(outcome)
        if failure is not None:
            raise failure
        return results


def _take(rows: Iterator[tuple[int, Sequence[object]]], size: int) -> list[tuple[int, Sequence[object]]]:
    batch: list[tuple[int, Sequence[object]]] = []
    for item in rows:
        batch.append(item)
        if len(batch) >= size:
            break
    return batch
