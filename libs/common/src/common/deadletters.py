"""Dead letters an SRE can see and replay, in every service.

The projection runner writes an event it cannot apply into its service's ``dead_letter`` table
with the reason and moves on. This module makes those rows an operation rather than a database
to open:

- ``router``: ``GET /v1/admin/dead-letters`` (filter by projection, cursor pagination), ``GET
  /v1/admin/dead-letters/{id}`` (with the stored headers and body), ``POST
  /v1/admin/dead-letters/{id}/replay`` and ``POST /v1/admin/dead-letters/replay`` (all, or one
  projection's). The gateway merges every service's list and forwards the replays.
- ``Replayer``: decodes the stored headers and body into the envelope and event again and
  applies it through the projection's own ``apply_batch``, in one transaction with the deletion
  of the row, so a replay happens exactly once; when it fails again the row stays, with the new
  reason and its replay count.
- ``replay_dead_letters_main``: ``python -m <service> replay-dead-letters [--id N]
  [--projection NAME] [--force]``, the one command after a fix is deployed.

Replay runs beside the projection's normal runner, safely: the replay transaction locks the
projection's checkpoint row, as every batch of the runner does, so the two never interleave
inside one projection; and deleting the row in the replay's own transaction means two replays
of one row (two SREs, a command and a click) apply it once.

Order is the real question. A replayed event is applied *now*, after every event the runner has
applied since it was dead-lettered. The projections here mostly keep the latest state of an
aggregate (a lead's opt-out, a call's outcome, a callback's status), so an older event applied
after a newer one of the same aggregate would put old state back (an opt-out lifted since would
be undone). The assumption replay makes, then: an event is safe to apply out of order when the
projection has applied no later event of the same aggregate (the same ``<owner>.<aggregate>``
subject prefix, a type the projection consumes), apart from later events that were themselves
dead-lettered (replayed in stream order after it). Events of other aggregates are independent
of it, as they are when a rebuild applies them. A replay that would break the assumption is
refused as ``superseded`` and the row kept; ``force`` applies it anyway, after an SRE has
checked that the projection handles it (or decided a rebuild is the better fix).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from pydantic import BaseModel, ValidationError
from sqlalchemy import Column, DateTime, Integer, MetaData, RowMapping, select
from sqlalchemy.exc import InterfaceError, OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.db import is_postgresql
from common.envelope import Envelope, EnvelopeError
from common.events.base import UnknownEventType, UnsupportedSchemaVersion, decode
from common.eventstore import EventNames
from common.personal_data import LeadKeys
from common.projection import (
    EventContext,
    Projection,
    _reason,
    checkpoint_key,
    dead_letter_table,
    read_checkpoint,
    unread_fields_of,
)

if TYPE_CHECKING:
    from common.service import Runtime, ServiceSpec
    from common.settings import ServiceSettings

log = logging.getLogger(__name__)

# The runner's ``dead_letter`` table with the columns replay keeps (common_0004). The runner
# inserts without them (server defaults), so its own definition needs no change.
dead_letter = dead_letter_table.to_metadata(MetaData())
dead_letter.append_column(Column("replays", Integer, nullable=False, server_default="0"))
dead_letter.append_column(Column("replayed_at", DateTime(timezone=True)))

ReplayOutcome = Literal["applied", "failed", "superseded", "not_found"]


class DeadLetter(BaseModel):
    """One event a projection could not apply, as an SRE lists it."""

    id: int
    service: str
    projection: str
    stream: str
    stream_seq: int
    subject: str
    event_id: str | None
    event_type: str | None
    reason: str
    deliveries: int
    replays: int
    replayed_at: datetime | None
    created_at: datetime


class DeadLetterDetail(DeadLetter):
    """The row with what was received, to see what was wrong with it."""

    headers: dict[str, str]
    body: str | None


class DeadLetterPage(BaseModel):
    service: str
    items: list[DeadLetter]
    # Pass it back as ``cursor`` for the next page; null on the last page.
    next_cursor: str | None


class ReplayResult(BaseModel):
    id: int
    service: str
    projection: str | None
    event_type: str | None
    outcome: ReplayOutcome
    # Why it failed again or was not replayed; null when applied.
    reason: str | None = None


class ReplayReport(BaseModel):
    service: str
    results: list[ReplayResult]
    applied: int
    not_applied: int


def _row(service: str, row: RowMapping) -> dict[str, Any]:
    return {**row, "service": service, "replays": row.get("replays") or 0, "headers": row.get("headers") or {}}


async def list_dead_letters(
    session: AsyncSession, service: str, *, projection: str | None = None, limit: int = 100, after: int = 0
) -> tuple[list[DeadLetter], int | None]:
    """A page of dead letters in the order they were written, and the id to continue after."""
    columns = [c for c in dead_letter.c if c.name not in ("headers", "body")]
    query = select(*columns).where(dead_letter.c.id > after).order_by(dead_letter.c.id).limit(limit + 1)
    if projection:
        query = query.where(dead_letter.c.projection == projection)
    rows = (await session.execute(query)).mappings().all()
    items = [DeadLetter.model_validate(_row(service, r)) for r in rows[:limit]]
    return items, (items[-1].id if len(rows) > limit else None)


async def get_dead_letter(session: AsyncSession, service: str, dead_letter_id: int) -> DeadLetterDetail | None:
    row = (await session.execute(select(dead_letter).where(dead_letter.c.id == dead_letter_id))).mappings().first()
    return DeadLetterDetail.model_validate(_row(service, row)) if row is not None else None


@dataclass
class Replayer:
    """Applies dead letters again through the projections of one service."""

    service: str
    sessions: async_sessionmaker[AsyncSession]
    js: JetStreamContext
    names: EventNames
    projections: Mapping[str, Projection]
    # The service's per-lead key store when it holds the key grant (common.personal_data).
    personal: LeadKeys | None = None

    async def replay(self, dead_letter_id: int, *, force: bool = False) -> ReplayResult:
        async with self.sessions() as session, session.begin():
            where = dead_letter.c.id == dead_letter_id
            found = (await session.execute(select(dead_letter.c.projection, dead_letter.c.stream).where(where))).first()
            if found is None:
                return self._result(dead_letter_id, None, None, "not_found", "no such dead letter (replayed already?)")
            # The runner holds this lock for each batch it commits: the replay waits for the
            # batch in flight, and the next batch waits for the replay.
            checkpoint = await read_checkpoint(session, checkpoint_key(found.projection, found.stream), lock=True)
            query = select(dead_letter).where(where)
            if is_postgresql(session):
                query = query.with_for_update()
            row = (await session.execute(query)).mappings().first()
            if row is None:  # replayed by someone else while this one waited for the lock
                return self._result(dead_letter_id, None, None, "not_found", "replayed meanwhile by another replay")
            return await self._replay_row(session, row, checkpoint, force=force)

    async def replay_all(self, *, projection: str | None = None, force: bool = False) -> list[ReplayResult]:
        """Every dead letter (of one projection), oldest first: a projection's dead letters of one
        stream are then applied in stream order among themselves."""
        async with self.sessions() as session:
            query = select(dead_letter.c.id).order_by(dead_letter.c.id)
            if projection:
                query = query.where(dead_letter.c.projection == projection)
            ids = list((await session.execute(query)).scalars())
        # One transaction per row: one that fails again does not hold back the others.
        return [await self.replay(i, force=force) for i in ids]

    async def _replay_row(
        self, session: AsyncSession, row: RowMapping, checkpoint: int, *, force: bool
    ) -> ReplayResult:
        def result(outcome: ReplayOutcome, reason: str | None = None) -> ReplayResult:
            return self._result(row["id"], row["projection"], row["event_type"], outcome, reason)

        projection = self.projections.get(row["projection"])
        owner = next(
            (o for o in (projection.subscriptions if projection else {}) if self.names.stream(o) == row["stream"]),
            None,
        )
        if projection is None or owner is None:
            return result("failed", f"this service feeds no projection {row['projection']!r} from {row['stream']}")
        try:
            # The runner stored a body that was not UTF-8 as hex; it was not JSON then and fails
            # here again with the same reason.
            envelope = Envelope.from_message(row["headers"] or {}, (row["body"] or "").encode())
            if self.personal is not None:
                envelope = await self.personal.unseal_envelope(envelope)
            # Decoded as the runner decodes it for this projection (its unread fields left out).
            event = decode(envelope, unread=unread_fields_of(projection).get(envelope.type, frozenset()))
        except (EnvelopeError, UnknownEventType, UnsupportedSchemaVersion, ValidationError) as exc:
            return await self._keep(session, row, f"invalid event: {_reason(exc)}", result)
        if not force:
            later = await self._applied_after(session, row, projection.subscriptions[owner], checkpoint)
            if later is not None:
                return result(
                    "superseded",
                    f"not replayed: the projection has applied {row['stream']} sequence {later}, a later event "
                    f"of the same aggregate; applied now it would put older state back (replay with force "
                    f"once you have checked it is harmless, or rebuild the projection)",
                )
        context = EventContext(envelope, row["stream"], row["stream_seq"], row["subject"])
        try:
            async with session.begin_nested():
                await projection.apply_batch(session, [(event, context)])
        except (OperationalError, InterfaceError, ProgrammingError):
            raise  # the database, not the event: nothing replayed, nothing recorded
        except Exception as exc:
            return await self._keep(session, row, f"handler failed on replay: {_reason(exc)}", result)
        await session.execute(dead_letter.delete().where(dead_letter.c.id == row["id"]))
        log.info(
            "dead letter replayed",
            extra={"projection": row["projection"], "stream": row["stream"], "seq": row["stream_seq"]},
        )
        return result("applied")

    async def _keep(
        self,
        session: AsyncSession,
        row: RowMapping,
        reason: str,
        result: Callable[[ReplayOutcome, str | None], ReplayResult],
    ) -> ReplayResult:
        await session.execute(
            dead_letter.update()
            .where(dead_letter.c.id == row["id"])
            .values(reason=reason[:4000], replays=dead_letter.c.replays + 1, replayed_at=datetime.now(UTC))
        )
        return result("failed", reason)

    async def _applied_after(
        self, session: AsyncSession, row: RowMapping, types: Sequence[str], checkpoint: int
    ) -> int | None:
        """The stream sequence of a later event of the same aggregate that the projection has
        applied (at or below its checkpoint, a type it consumes, not itself dead-lettered)."""
        stream, seq = row["stream"], int(row["stream_seq"])
        aggregate = row["subject"].rsplit(".", 1)[0] + ".*"
        dead = set(
            (
                await session.execute(
                    select(dead_letter.c.stream_seq).where(
                        dead_letter.c.projection == row["projection"],
                        dead_letter.c.stream == stream,
                        dead_letter.c.stream_seq > seq,
                    )
                )
            ).scalars()
        )
        wanted = set(types)
        while seq < checkpoint:
            try:
                later = await self.js.get_msg(stream, seq=seq + 1, subject=aggregate, next=True)
            except NotFoundError:
                return None
            seq = int(later.seq or 0)
            if not later.seq or seq > checkpoint:
                return None
            if (later.subject or "").rsplit(".", 1)[-1] in wanted and seq not in dead:
                return seq
        return None

    def _result(
        self,
        dead_letter_id: int,
        projection: str | None,
        event_type: str | None,
        outcome: ReplayOutcome,
        reason: str | None = None,
    ) -> ReplayResult:
        return ReplayResult(
            id=dead_letter_id,
            service=self.service,
            projection=projection,
            event_type=event_type,
            outcome=outcome,
            reason=reason,
        )


def replayer_for(runtime: Runtime[Any, Any]) -> Replayer:
    """The projections the service's runners feed (the very instances), or, where no runner runs
    (the command line), the ones its spec builds."""
    projections = [r.projection for r in runtime.runners] or list(runtime.spec.projections(runtime))
    return Replayer(
        service=runtime.spec.name,
        sessions=runtime.session_factory,
        js=runtime.jetstream,
        names=runtime.names,
        projections={p.name: p for p in projections},
        personal=runtime.personal,
    )


# --- HTTP --------------------------------------------------------------------------------

router = APIRouter(prefix="/v1/admin/dead-letters", tags=["admin"])

CURSOR_PATTERN = r"^[0-9]{1,18}$"


def _runtime(request: Request) -> Runtime[Any, Any]:
    runtime: Runtime[Any, Any] = request.app.state.runtime
    if runtime.store is None or runtime.sessions is None:
        raise HTTPException(503, "service starting", headers={"Retry-After": "2"})
    return runtime


@router.get("", response_model=DeadLetterPage)
async def list_route(
    request: Request,
    projection: Annotated[str | None, Query(max_length=128, description="only this projection's")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(pattern=CURSOR_PATTERN, description="next_cursor of the page before")] = None,
) -> DeadLetterPage:
    """Events this service's projections could not apply, oldest first, without their bodies."""
    runtime = _runtime(request)
    async with runtime.session_factory() as session:
        items, after = await list_dead_letters(
            session, runtime.spec.name, projection=projection, limit=limit, after=int(cursor or 0)
        )
    return DeadLetterPage(service=runtime.spec.name, items=items, next_cursor=str(after) if after else None)


@router.post("/replay", response_model=ReplayReport)
async def replay_all_route(
    request: Request,
    projection: Annotated[str | None, Query(max_length=128, description="only this projection's")] = None,
    force: Annotated[bool, Query(description="apply even an event a later one has superseded")] = False,
) -> ReplayReport:
    """Replay every dead letter (of one projection); each row's outcome is reported."""
    replayer = replayer_for(_runtime(request))
    return report(replayer.service, await replayer.replay_all(projection=projection, force=force))


@router.get("/{dead_letter_id}", response_model=DeadLetterDetail, responses={404: {"description": "no such row"}})
async def detail_route(request: Request, dead_letter_id: Annotated[int, Path(ge=1)]) -> DeadLetterDetail:
    runtime = _runtime(request)
    async with runtime.session_factory() as session:
        found = await get_dead_letter(session, runtime.spec.name, dead_letter_id)
    if found is None:
        raise HTTPException(404, f"no dead letter {dead_letter_id}")
    return found


@router.post("/{dead_letter_id}/replay", response_model=ReplayResult, responses={404: {"description": "no such row"}})
async def replay_route(
    request: Request,
    dead_letter_id: Annotated[int, Path(ge=1)],
    force: Annotated[bool, Query(description="apply even an event a later one has superseded")] = False,
) -> ReplayResult:
    """Apply one dead letter again. ``applied``: done, the row is gone. ``failed``: the row stays
    with the new reason. ``superseded``: not applied, see the reason."""
    result = await replayer_for(_runtime(request)).replay(dead_letter_id, force=force)
    if result.outcome == "not_found":
        raise HTTPException(404, result.reason)
    return result


def report(service: str, results: list[ReplayResult]) -> ReplayReport:
    applied = sum(1 for r in results if r.outcome == "applied")
    return ReplayReport(service=service, results=results, applied=applied, not_applied=len(results) - applied)


# --- the command line ------------------------------------------------------------------


def replay_dead_letters_main(spec: ServiceSpec[Any, Any], settings: ServiceSettings, argv: Sequence[str]) -> int:
    """``python -m <service> replay-dead-letters [--id N] [--projection NAME] [--force]``.

    Runs beside the service (no runners, no background jobs of its own); prints one line per
    row and returns 0 when every row was applied, 1 otherwise."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {spec.name} replay-dead-letters",
        description="Apply dead-lettered events again through their projection (after a fix).",
    )
    add_replay_arguments(parser)
    return replay_dead_letters(spec, settings, parser.parse_args(list(argv)))


def add_replay_arguments(parser: argparse.ArgumentParser) -> None:
    """``replay-dead-letters``' options (also a subcommand of ``common.service.command_line``)."""
    parser.add_argument("--id", type=int, dest="dead_letter_id", help="only this dead letter")
    parser.add_argument("--projection", help="only this projection's dead letters")
    parser.add_argument(
        "--force", action="store_true", help="apply even an event a later event of its aggregate has superseded"
    )


def replay_dead_letters(spec: ServiceSpec[Any, Any], settings: ServiceSettings, args: argparse.Namespace) -> int:
    """Replay with parsed options (``add_replay_arguments``); the exit code ``main`` returns."""
    from common.service import Runtime
    from common.telemetry import setup_logging

    setup_logging(spec.name, settings.log_level)

    async def _run() -> list[ReplayResult]:
        from common.eventstore import EventNames

        runtime = Runtime(settings=settings, spec=spec, names=EventNames(settings.event_namespace))
        await runtime.start(run_projections=False, run_background=False)
        try:
            replayer = replayer_for(runtime)
            if args.dead_letter_id is not None:
                return [await replayer.replay(args.dead_letter_id, force=args.force)]
            return await replayer.replay_all(projection=args.projection, force=args.force)
        finally:
            await runtime.stop()

    results = asyncio.run(_run())
    for r in results:
        print(f"{r.id}\t{r.projection or '-'}\t{r.event_type or '-'}\t{r.outcome}\t{r.reason or ''}")
    summary = report(spec.name, results)
    print(f"{spec.name}: {summary.applied} replayed, {summary.not_applied} not replayed")
    return 0 if summary.not_applied == 0 else 1
