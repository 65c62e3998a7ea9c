"""Finding the customer's full name in an agent's words, from the name or from its keyed digest.

A call record from a dataset file carries ``lead.name``; a ``CallEnded`` event never does, only
``customer.name_digest = common.privacy.name_digest(pii_key, name)`` (an HMAC-SHA256 of the name
without whitespace). With the same key the QA service digests every candidate 2–4 character CJK
substring of an agent turn and compares: at most three digests per character, so linear in the
transcript's length. Candidate digests are remembered per key (call-centre speech reuses the same
few thousand bigrams and trigrams), so after warm-up a turn costs one set difference.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Protocol

NAME_LENGTHS = (2, 3, 4)


class NameMatcher(Protocol):
    """Where the customer's full name occurs in a text: ``(start, end)`` pairs, left to right."""

    def occurrences(self, text: str) -> Iterator[tuple[int, int]]: ...


class PlainName:
    """The name itself is known (dataset files, ``qa-check``)."""

    def __init__(self, name: str) -> None:
        self.name = "".join(name.split())

    def occurrences(self, text: str) -> Iterator[tuple[int, int]]:
        name = self.name
        if len(name) < 2:
            return
        pos = text.find(name)
        while pos != -1:
            yield pos, pos + len(name)
            pos = text.find(name, pos + 1)


class _DigestMemo:
    """Digests of every candidate substring seen so far under one key, both ways. A candidate is
    digested once per process; after that a call costs one set difference (in C) per turn, and a
    name whose digest is known is found with ``str.find``. Bounded: cleared when it grows past
    ``limit`` entries. (Only substrings of transcripts, which QA holds anyway, live here.)"""

    def __init__(self, key: str, limit: int = 500_000) -> None:
        self.base = hmac.new(key.encode(), digestmod=hashlib.sha256)
        self.limit = limit
        self.digest_of: dict[str, str] = {}
        self.text_of: dict[str, str] = {}

    def learn(self, candidates: set[str]) -> None:
        new = candidates.difference(self.digest_of)  # a dict argument: looked up, never copied
        if not new:
            return
        if len(self.digest_of) + len(new) > self.limit:
            self.digest_of.clear()
            self.text_of.clear()
        base = self.base
        for c in new:
            h = base.copy()
            h.update(c.encode())
            d = h.hexdigest()[:32]
            self.digest_of[c] = d
            self.text_of.setdefault(d, c)


@lru_cache(maxsize=8)
def _memo(key: str) -> _DigestMemo:
    return _DigestMemo(key)


# Runs of CJK Unified Ideographs (and Extension A): what Chinese names are written in.
_CJK_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]{2,}")


class DigestName:
    """Only the keyed digest of the name is known (``CallEnded.customer.name_digest``)."""

    def __init__(self, key: str, digest: str, lengths: tuple[int, ...] = NAME_LENGTHS) -> None:
        self.digest = digest
        self.lengths = lengths
        self._memo = _memo(key)

    def candidates(self, text: str) -> set[str]:
        """Every 2–4 character CJK substring of ``text``."""
        lengths = self.lengths
        return {run[i : i + n] for run in _CJK_RUN.findall(text) for n in lengths for i in range(len(run) - n + 1)}

    def occurrences(self, text: str) -> Iterator[tuple[int, int]]:
        memo = self._memo
        name = memo.text_of.get(self.digest)
        if name is None:  # not met yet: digest what this text has not shown before
            memo.learn(self.candidates(text))
            name = memo.text_of.get(self.digest)
            if name is None:
                return
        yield from PlainName(name).occurrences(text)


def name_matcher(name: str | None, digest: str | None, key: str | None) -> NameMatcher | None:
    """The plain name when known, else the digest with its key; ``None`` when neither is usable."""
    if name and len("".join(name.split())) >= 2:
        return PlainName(name)
    if digest and key:
        return DigestName(key, digest)
    return None
