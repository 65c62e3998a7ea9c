"""Every event type of the platform, registered by importing this package.

Each owning service's events live in their own module (``common.events.<owner>``); import them
from there."""

from common.events import calls, leads, qa, scheduling
from common.events.base import DomainEvent, UnknownEventType, decode, event_class, register, subject_token
from common.events.calls import CallEnded, CallPlaced, CallRefused, CallTranscribed
from common.events.qa import ViolationFound
from common.events.scheduling import CallbackDue

__all__ = [
    "CallEnded",
    "CallPlaced",
    "CallRefused",
    "CallTranscribed",
    "CallbackDue",
    "DomainEvent",
    "UnknownEventType",
    "ViolationFound",
    "calls",
    "decode",
    "event_class",
    "leads",
    "qa",
    "register",
    "scheduling",
    "subject_token",
]
