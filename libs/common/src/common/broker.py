"""The platform's NATS client: nats-py's, with a faster parser for message headers.

Every event carries a dozen headers (the CloudEvents attributes, ``Nats-Msg-Id``, the trace
context), and nats-py parses each message's header block in Python, testing every character of
every header name with ``str.isspace`` in a generator: about 31 us per event on this machine, the
largest single cost of a projection's rebuild after the projection itself
(benchmarks/reporting_volume.py, profiled with pyinstrument). ``Client._parse_header_lines`` does
exactly the same with one regular-expression search per name: about 6 us.
``libs/common/tests/test_broker.py`` checks it against nats-py's own on every ASCII character in
every position, so an upgrade of nats-py that changes the rules fails there.
"""

from __future__ import annotations

import re
from typing import Any

from nats.aio.client import Client as NatsClient

_CRLF = b"\r\n"
# A header name is a token: one with whitespace inside is dropped, as nats-py drops it. ``\s`` on
# a str is the same test as ``str.isspace`` (both are Py_UNICODE_ISSPACE).
_WHITESPACE = re.compile(r"\s")


class Client(NatsClient):
    @staticmethod
    def _parse_header_lines(raw: bytes) -> dict[str, str]:
        """``Name: Value`` per line, as nats-py parses them (names ASCII, values UTF-8 with
        replacement, both stripped; a line without a colon, a non-ASCII name or a name with
        whitespace inside skipped)."""
        out: dict[str, str] = {}
        for line in raw.split(_CRLF):
            name, sep, value = line.partition(b":")
            if not sep:
                continue
            try:
                key = name.strip().decode("ascii")
            except UnicodeDecodeError:
                continue
            if _WHITESPACE.search(key) is not None:
                continue
            out[key] = value.strip().decode("utf-8", "replace")
        return out


async def connect(**options: Any) -> Client:
    """``nats.connect`` with the platform's client."""
    client = Client()
    await client.connect(**options)
    return client
