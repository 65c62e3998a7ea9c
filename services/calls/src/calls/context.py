"""What the calls service's handlers share, typed (``runtime.context``), built once at start-up."""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field

from common.service import Runtime

from calls.settings import CallsSettings


@dataclass(frozen=True)
class CallsContext:
    # One lock per lead with a dial being decided in this process, so the attempt caps see each
    # other (across replicas the window is the read model's lag); dropped once no dial holds it.
    lead_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = field(default_factory=weakref.WeakValueDictionary)


CallsRuntime = Runtime[CallsSettings, CallsContext]


def build_context(runtime: CallsRuntime) -> CallsContext:
    return CallsContext()
