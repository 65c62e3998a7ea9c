"""Personal data in events, encrypted per lead (crypto-shredding).

Every lead has its own data key (AES-256-GCM). The names' and numbers' traces (masked numbers,
keyed digests) and the texts of transcripts in an event are sealed with the key of the lead they
belong to; the event keeps its anonymous fields (ids, dispositions, durations, rules, fines) in
clear, with ``[erased]`` where a sealed value was, and carries the ciphertext in one added field,
``personal_data``. A subscriber without the key reads the event as before, with the personal
values shown as ``[erased]``; a service with the key grant (``ServiceSpec.personal_data``) gets
them back when the event store loads an aggregate or a projection runner decodes a message.

Erasure destroys the lead's key: every copy of its personal data, in every stream message, every
replay and every backup of the log, becomes unreadable at once, while the events themselves stay
(the figures rebuilt from them do not change).

The keys live in a JetStream key-value bucket (``<NAMESPACE>_LEAD_KEYS``, history 1), one entry
per lead, each data key wrapped (AES-GCM) by the master key from settings (``PII_MASTER_KEY``):
the bucket alone reveals nothing, and services reach it with their broker connection, never
through another service's database. Erasing purges the entry (the value is removed from the
stream, not only hidden behind a delete marker).

Events written before sealing existed have no ``personal_data`` field: they are read as they are.

Cryptography: ``cryptography``'s AESGCM (authenticated encryption; the lead id and event type are
bound in as associated data, so a ciphertext cannot be moved to another lead's event) and HKDF
(to derive the 256-bit master key from the configured secret). Nothing here is hand-rolled.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError, KeyNotFoundError, KeyWrongLastSequenceError, NotFoundError
from nats.js.kv import KeyValue

from common.envelope import Envelope
from common.events.base import subject_token
from common.eventstore import EventNames

log = logging.getLogger(__name__)

# What a reader sees where a sealed value was: before its key is fetched, without the key
# grant, and for good once the lead's key is destroyed.
ERASED = "[erased]"
# The event data field holding the ciphertext (an additive field: readers keep unknown fields).
SEALED = "personal_data"
ERASED_EVENT = "LeadPersonalDataErased"
_NONCE = 12
_FORMAT = 1

# Which values of which event are personal: dotted paths into the event's JSON data, ``[]``
# stepping into every element of a list. Values that are absent or null are left as they are.
_NUMBERS = ("numbers[].masked", "numbers[].number_digest")
_CUSTOMER = ("customer.phone_masked", "customer.name_digest", "customer.number_digest")
PERSONAL_FIELDS: dict[str, tuple[str, ...]] = {
    # leads
    "LeadCreated": _NUMBERS,
    "LeadUpdated": _NUMBERS,
    "LeadMerged": _NUMBERS,
    "LeadOptedOut": ("masked", "number_digest"),
    # calls: the customer's number and name digest, what they said, what the agent noted
    "CallPlaced": _CUSTOMER,
    "CallEnded": (*_CUSTOMER, "turns[].text", "notes", "need"),
    "CallTranscribed": ("turns[].text",),
    "CallRefused": ("phone_masked", "number_digest"),
    "RedialRequested": ("number_digest",),
    # qa: a finding quotes the transcript; a complaint describes the call in the customer's words
    "ViolationFound": ("evidence", "reason"),
    "ComplaintFiled": ("description",),
}


def short_type(event_type: str) -> str:
    """``CallEnded`` for ``CallEnded`` and for a namespaced CloudEvents type
    (``com.telemarketing.calls.CallEnded.v1``): the registry and the associated data use the
    short name, so both spellings of one event seal and open alike."""
    if "." not in event_type:
        return event_type
    parts = event_type.split(".")
    if len(parts) >= 2 and parts[-1][:1] == "v" and parts[-1][1:].isdigit():
        return parts[-2]
    return parts[-1]


def lead_of(data: dict[str, Any]) -> str | None:
    """The lead whose personal data an event carries: its ``lead_id``, or its customer's."""
    lead_id = data.get("lead_id")
    if isinstance(lead_id, str) and lead_id:
        return lead_id
    customer = data.get("customer")
    if isinstance(customer, dict) and isinstance(customer.get("lead_id"), str) and customer["lead_id"]:
        return str(customer["lead_id"])
    return None


# --- where the personal values are -----------------------------------------------------------

Location = tuple[str | int, ...]


def _walk(node: Any, steps: list[str], at: Location) -> Iterator[Location]:
    if not steps:
        yield at
        return
    step, rest = steps[0], steps[1:]
    many = step.endswith("[]")
    name = step[:-2] if many else step
    if not isinstance(node, dict) or node.get(name) is None:
        return
    child = node[name]
    if many:
        if isinstance(child, list):
            for i, item in enumerate(child):
                yield from _walk_item(item, rest, (*at, name, i))
    else:
        yield from _walk(child, rest, (*at, name))


def _walk_item(item: Any, rest: list[str], at: Location) -> Iterator[Location]:
    if not rest:
        yield at
    else:
        yield from _walk(item, rest, at)


def locations(event_type: str, data: dict[str, Any]) -> list[Location]:
    """Where ``data`` holds personal values (present and not null), in a fixed order."""
    found: list[Location] = []
    for path in PERSONAL_FIELDS.get(short_type(event_type), ()):
        found.extend(_walk(data, path.split("."), ()))
    return found


def _get(data: Any, at: Location) -> Any:
    for step in at:
        data = data[step]
    return data


def _set(data: Any, at: Location, value: Any) -> None:
    for step in at[:-1]:
        data = data[step]
    data[at[-1]] = value


def _copy(data: dict[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return copied


def erased_copy(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with every personal value replaced by ``[erased]`` and no ciphertext: what a
    projection keeps of an erased lead's event, and what an outbox row becomes on erasure."""
    out = _copy(data)
    out.pop(SEALED, None)
    for at in locations(event_type, out):
        _set(out, at, ERASED)
    return out


def is_sealed(data: dict[str, Any]) -> bool:
    return isinstance(data.get(SEALED), dict)


def _aad(event_type: str, lead_id: str) -> bytes:
    return f"tm-personal-data|{short_type(event_type)}|{lead_id}".encode()


def seal_with(key: bytes, event_type: str, lead_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with its personal values encrypted under ``key`` (pure: no I/O)."""
    where = locations(event_type, data)
    if not where:
        return data
    values = [[list(at), _get(data, at)] for at in where]
    nonce = os.urandom(_NONCE)
    ciphertext = AESGCM(key).encrypt(nonce, json.dumps(values, ensure_ascii=False).encode(), _aad(event_type, lead_id))
    out = erased_copy(event_type, data)
    out[SEALED] = {
        "v": _FORMAT,
        "lead_id": lead_id,
        "alg": "A256GCM",
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext": base64.b64encode(ciphertext).decode(),
    }
    return out


def open_with(key: bytes | None, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with its personal values back, or left ``[erased]`` when there is no key (the
    lead was erased) or the ciphertext does not open with it. The ciphertext field is dropped."""
    sealed = data.get(SEALED)
    if not isinstance(sealed, dict):
        return data
    out = dict(data)
    out.pop(SEALED)
    if key is None:
        return out
    try:
        plain = AESGCM(key).decrypt(
            base64.b64decode(sealed["nonce"]),
            base64.b64decode(sealed["ciphertext"]),
            _aad(event_type, str(sealed["lead_id"])),
        )
    except (InvalidTag, KeyError, ValueError) as exc:
        log.warning("personal data did not open", extra={"event_type": event_type, "error": repr(exc)})
        return out
    out = _copy(out)
    for at, value in json.loads(plain):
        try:
            _set(out, tuple(at), value)
        except (KeyError, IndexError, TypeError):  # the clear part was changed: leave it erased
            continue
    return out


# --- the key store ---------------------------------------------------------------------------


def master_key(secret: str) -> bytes:
    """The 256-bit key-wrapping key derived from the configured secret (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"tm lead data keys v1").derive(secret.encode())


def bucket_name(names: EventNames) -> str:
    return f"{names.namespace}_LEAD_KEYS".upper().replace("-", "_").replace(".", "_")


class LeadKeys:
    """The per-lead data keys: created on first use, cached briefly, destroyed on erasure.

    Only a service holding the key grant opens this (``ServiceSpec.personal_data``). The cache
    is short (``ttl`` seconds) and a key is dropped from it as soon as this process sees the
    lead's ``LeadPersonalDataErased``, so a destroyed key stops opening anything within seconds
    everywhere, and at once in the process that erased it and in every rebuild."""

    def __init__(self, kv: KeyValue, master: bytes, *, ttl: float = 10.0) -> None:
        self.kv = kv
        self._wrap = AESGCM(master)
        self.ttl = ttl
        self._cache: dict[str, tuple[float, bytes]] = {}

    @classmethod
    async def open(
        cls,
        js: JetStreamContext,
        names: EventNames,
        secret: str,
        *,
        replicas: int = 1,
        requests: JetStreamContext | None = None,
    ) -> LeadKeys:
        """The bucket, created with ``js`` if it is missing; keys are then read and written
        through ``requests`` when given: a context with the request path's shorter timeout, so
        that while the bucket's stream has no leader (a node lost) a call is answered 503 in
        seconds instead of waiting out the longer timeout that start-up work needs."""
        bucket = bucket_name(names)
        try:
            kv = await js.key_value(bucket)
        except (BucketNotFoundError, NotFoundError):
            kv = await js.create_key_value(
                KeyValueConfig(
                    bucket=bucket,
                    description="per-lead data keys, wrapped by the master key (common.personal_data)",
                    history=1,
                    storage=StorageType.FILE,
                    replicas=replicas,
                )
            )
        if requests is not None:
            # The same bucket bound to the other context, made from what was just read: asking
            # the broker again (``requests.key_value``) would be start-up work on the short
            # timeout, which a busy cluster has been seen to miss.
            kv = KeyValue(name=bucket, stream=kv._stream, pre=kv._pre, js=requests, direct=kv._direct)
        return cls(kv, master_key(secret))

    @staticmethod
    def entry(lead_id: str) -> str:
        return subject_token(lead_id)

    def _unwrap(self, lead_id: str, wrapped: bytes) -> bytes:
        return self._wrap.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], b"lead-key|" + lead_id.encode())

    def _wrapped(self, lead_id: str, key: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._wrap.encrypt(nonce, key, b"lead-key|" + lead_id.encode())

    async def key(self, lead_id: str, *, create: bool = False) -> bytes | None:
        """The lead's data key; None when it has none (never had personal data, or erased)
        unless ``create``. Broker errors are raised: a reader must not take them for erasure."""
        cached = self._cache.get(lead_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        key = await self._fetch(lead_id)
        if key is None and create:
            fresh = AESGCM.generate_key(bit_length=256)
            try:
                await self.kv.create(self.entry(lead_id), self._wrapped(lead_id, fresh))
                key = fresh
            except KeyWrongLastSequenceError:  # another writer created it first: use theirs
                key = await self._fetch(lead_id)
        if key is not None:
            self._remember(lead_id, key)
        return key

    def _remember(self, lead_id: str, key: bytes) -> None:
        """Cache a key for ``ttl`` seconds, and drop the keys whose time is up. An expired key
        used to stay in the dict (it was only not trusted): one entry for every lead the process
        ever saw, growing with the calls (benchmarks/ingest.py's soak) and keeping keys in memory
        long after the short cache this is meant to be. Every entry lives the same ``ttl`` and is
        put back at the end when renewed, so the dict is in expiry order: the expired ones are at
        its front."""
        now = time.monotonic()
        self._cache.pop(lead_id, None)
        self._cache[lead_id] = (now + self.ttl, key)
        expired = []
        for oldest, (until, _key) in self._cache.items():
            if until > now:
                break
            expired.append(oldest)
        for oldest in expired:
            del self._cache[oldest]

    async def _fetch(self, lead_id: str) -> bytes | None:
        try:
            entry = await self.kv.get(self.entry(lead_id))
        except KeyNotFoundError:  # also a deleted or purged entry (KeyDeletedError)
            return None
        if not entry.value:
            return None
        try:
            return self._unwrap(lead_id, entry.value)
        except InvalidTag:
            log.error("a lead key does not unwrap with the master key", extra={"lead_id": lead_id})
            return None

    async def prefetch(self, envelopes: Iterable[Envelope]) -> None:
        """Fetch, concurrently, the keys of the leads whose sealed values these events carry:
        a batch then opens its events from the cache instead of one key round trip after the
        other (a key for every new lead of a busy batch). Keys that are missing stay missing
        (``key`` asks again for each); broker errors are raised when the event is opened."""
        now = time.monotonic()
        wanted = set()
        for envelope in envelopes:
            sealed = envelope.data.get(SEALED)
            if isinstance(sealed, dict) and isinstance(sealed.get("lead_id"), str):
                cached = self._cache.get(sealed["lead_id"])
                if cached is None or cached[0] <= now:
                    wanted.add(sealed["lead_id"])
        if wanted:
            await asyncio.gather(*(self.key(lead_id) for lead_id in wanted), return_exceptions=True)

    def forget(self, lead_id: str) -> None:
        self._cache.pop(lead_id, None)

    async def erase(self, lead_id: str) -> None:
        """Destroy the lead's key: the entry is purged (its value removed from the bucket's
        stream, leaving only a purge marker without data). Idempotent."""
        self.forget(lead_id)
        await self.kv.purge(self.entry(lead_id))

    # --- events ---

    async def seal(self, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
        """Encrypt an event's personal values with its lead's key (created on first use)."""
        if is_sealed(data) or short_type(event_type) not in PERSONAL_FIELDS:
            return data
        lead_id = lead_of(data)
        if lead_id is None or not locations(event_type, data):
            return data
        key = await self.key(lead_id, create=True)
        assert key is not None
        return seal_with(key, event_type, lead_id, data)

    async def unseal(self, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
        sealed = data.get(SEALED)
        if not isinstance(sealed, dict):
            return data  # written before sealing, or nothing personal in it
        return open_with(await self.key(str(sealed.get("lead_id", ""))), event_type, data)

    async def unseal_envelope(self, envelope: Envelope) -> Envelope:
        if short_type(envelope.type) == ERASED_EVENT and isinstance(envelope.data.get("lead_id"), str):
            self.forget(envelope.data["lead_id"])
        if not is_sealed(envelope.data):
            return envelope
        return replace(envelope, data=await self.unseal(envelope.type, envelope.data))
