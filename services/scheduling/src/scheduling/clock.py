"""The service's notion of "now", injectable so tests and the benchmark can move time.

The firing loop never sleeps on the clock's own terms: it asks the clock how many *real*
seconds it must wait for the clock to reach an instant (``real_delay``) and caps that by its
poll interval, so a restart or a callback booked by another replica is never missed.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...

    def real_delay(self, until: datetime) -> float:
        """Real seconds to wait for ``now()`` to reach ``until`` (inf if it never will)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def real_delay(self, until: datetime) -> float:
        return max(0.0, (until - self.now()).total_seconds())


class AcceleratedClock:
    """Simulated time: ``start`` at real Unix time ``origin``, running ``speed`` times faster
    (0 = frozen). Before ``origin`` it stands at ``start``. Several processes built with the same
    three numbers agree on the time, which is how the benchmark runs two replicas."""

    def __init__(self, start: datetime, speed: float = 1.0, origin: float | None = None) -> None:
        self.start = start if start.tzinfo else start.replace(tzinfo=UTC)
        self.speed = speed
        self.origin = time.time() if origin is None else origin

    def now(self) -> datetime:
        from datetime import timedelta

        elapsed = max(0.0, time.time() - self.origin)
        return self.start + timedelta(seconds=elapsed * self.speed)

    def real_delay(self, until: datetime) -> float:
        remaining = (until - self.now()).total_seconds()
        if remaining <= 0:
            return 0.0
        if self.speed <= 0:
            return float("inf")
        wait = remaining / self.speed
        return wait + max(0.0, self.origin - time.time())


class ManualClock:
    """A clock the test sets by hand."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def set(self, at: datetime) -> None:
        self.current = at

    def real_delay(self, until: datetime) -> float:
        return 0.0 if until <= self.current else float("inf")
