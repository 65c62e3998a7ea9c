"""What each service may do on the broker: its own NATS user, allowed to publish only its own
events and to read (through JetStream consumers) only the streams it consumes.

Publishing an event is a plain publish on ``<ns>.<owner>.<aggregate>.<Type>``, so a service that
is not the owner cannot write into another's stream: the server refuses the publish
(``Permissions Violation``) before JetStream sees it. Reading goes through the JetStream API
(``$JS.API.CONSUMER.*.<STREAM>…``), allowed per stream the service reads. Replies come back on
``_INBOX.>``. The per-lead key bucket (``common.personal_data``) is reachable only by services
with the key grant.

``make run`` writes the server's configuration from these (``deploy/local/run.py``); in
Kubernetes the same users go into the NATS chart's values (``docs/operations.md``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from common.eventstore import EventNames
from common.personal_data import bucket_name

if TYPE_CHECKING:
    from common.service import ServiceSpec


@dataclass(frozen=True)
class BrokerUser:
    name: str
    password: str
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]

    def config(self) -> dict[str, Any]:
        return {
            "user": self.name,
            "password": self.password,
            "permissions": {"publish": {"allow": list(self.publish)}, "subscribe": {"allow": list(self.subscribe)}},
        }


def _reading(stream: str) -> list[str]:
    """The JetStream API a reader of ``stream`` needs: its info, its messages by sequence, and
    consumers on it (created, read, deleted; durable or not)."""
    return [
        f"$JS.API.STREAM.INFO.{stream}",
        f"$JS.API.STREAM.MSG.GET.{stream}",
        f"$JS.API.DIRECT.GET.{stream}",
        f"$JS.API.DIRECT.GET.{stream}.>",
        f"$JS.API.CONSUMER.CREATE.{stream}",
        f"$JS.API.CONSUMER.CREATE.{stream}.>",
        f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.>",
        f"$JS.API.CONSUMER.INFO.{stream}.>",
        f"$JS.API.CONSUMER.DELETE.{stream}.>",
        f"$JS.API.CONSUMER.MSG.NEXT.{stream}.>",
        f"$JS.API.CONSUMER.NAMES.{stream}",
        f"$JS.API.CONSUMER.LIST.{stream}",
        f"$JS.ACK.{stream}.>",
    ]


def _owning(stream: str) -> list[str]:
    return [f"$JS.API.STREAM.CREATE.{stream}", f"$JS.API.STREAM.UPDATE.{stream}"]


def service_user(
    name: str,
    password: str,
    names: EventNames,
    *,
    owns: Sequence[str],
    reads: Iterable[str],
    key_grant: bool = False,
    key_bucket: str | None = None,
) -> BrokerUser:
    """A service's user: publish its own subjects, read its own and the streams it consumes."""
    publish = ["$JS.API.INFO", "$JS.API.STREAM.NAMES", "$JS.FC.>", "_INBOX.>"]
    for owner in owns:
        publish.append(names.stream_subjects(owner))
        publish += _owning(names.stream(owner))
    # A stream it reads is declared by it too when it starts first (common.service).
    for owner in sorted({*owns, *reads}):
        publish += _reading(names.stream(owner)) + _owning(names.stream(owner))
    if key_grant and key_bucket:
        kv_stream = f"KV_{key_bucket}"
        publish += [f"$KV.{key_bucket}.>", f"$JS.API.STREAM.PURGE.{kv_stream}", *_reading(kv_stream)]
        publish += _owning(kv_stream)
    return BrokerUser(name, password, tuple(dict.fromkeys(publish)), ("_INBOX.>",))


def reader_user(name: str, password: str, names: EventNames, *, reads: Iterable[str]) -> BrokerUser:
    """Publishes nothing of the platform's: the gateway's live event stream reads every stream."""
    publish = ["$JS.API.INFO", "$JS.API.STREAM.NAMES", "$JS.FC.>", "_INBOX.>"]
    for owner in sorted(set(reads)):
        publish += _reading(names.stream(owner))
    return BrokerUser(name, password, tuple(publish), ("_INBOX.>",))


def server_config(users: Sequence[BrokerUser], *, host: str, port: int, store_dir: str, **extra: Any) -> str:
    """A nats-server configuration (its format reads JSON) with JetStream and these users."""
    document: dict[str, Any] = {
        "host": host,
        "port": port,
        "jetstream": {"store_dir": store_dir},
        "authorization": {"users": [u.config() for u in users]},
        **extra,
    }
    return json.dumps(document, indent=2)


def platform_users(
    specs: Sequence[ServiceSpec[Any, Any]], passwords: Mapping[str, str], names: EventNames
) -> list[BrokerUser]:
    """One user per service from its spec (the streams it owns and reads, its key grant), and a
    read-only ``gateway`` user for the live event stream."""
    users = [
        service_user(
            spec.name,
            passwords[spec.name],
            names,
            owns=spec.owns_streams,
            reads=spec.reads_streams,
            key_grant=spec.personal_data,
            key_bucket=bucket_name(names),
        )
        for spec in specs
    ]
    every = sorted({owner for spec in specs for owner in spec.owns_streams})
    users.append(reader_user("gateway", passwords["gateway"], names, reads=every))
    return users
