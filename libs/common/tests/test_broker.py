"""common.broker.Client parses message headers exactly as nats-py does, faster."""

from __future__ import annotations

import pytest
from common.broker import Client, connect
from common.envelope import Envelope
from nats.aio.client import Client as NatsClient

EDGE_CASES = [
    b"",
    b"\r\n",
    b"no colon",
    b"a:b",
    b"a :\tb \r\n",
    b"\xff: not ascii\r\n",
    "k: 中文\r\n".encode(),
    b"k: \xff\r\n",
    b"k:v:w\r\n",
    b"a: 1\r\na: 2\r\n",
    b": empty name\r\n",
    b"trailing\r\n\r\n",
]


def blocks() -> list[bytes]:
    """Every ASCII character in every position of a header line, and the edge cases."""
    out = list(EDGE_CASES)
    for c in map(chr, range(128)):
        out += [f"a{c}b: v\r\n".encode(), f"{c}ab: v\r\n".encode(), f"ab{c}: {c}v{c}\r\n".encode()]
    return out


@pytest.mark.parametrize("raw", blocks())
def test_headers_parse_as_nats_py_parses_them(raw: bytes) -> None:
    assert Client._parse_header_lines(raw) == NatsClient._parse_header_lines(raw)


def test_an_events_headers_parse_as_nats_py_parses_them() -> None:
    envelope = Envelope(
        type="CallEnded",
        source="/calls",
        data={},
        subject="c-1",
        extra_headers={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
    )
    raw = b"".join(f"{k}: {v}\r\n".encode() for k, v in envelope.headers().items()) + b"\r\n"
    assert Client._parse_header_lines(raw) == NatsClient._parse_header_lines(raw) == envelope.headers()


async def test_a_message_arrives_with_its_headers(nats_url: str) -> None:
    nc = await connect(servers=[nats_url])
    try:
        sub = await nc.subscribe("test.broker.headers")
        headers = {"ce-id": "e-1", "ce-type": "Test", "note": "中文 : x"}
        await nc.publish("test.broker.headers", b"{}", headers=headers)
        msg = await sub.next_msg(timeout=5)
        assert isinstance(nc, Client) and msg.headers == headers
    finally:
        await nc.close()
