"""Finding the customer's full name in an agent's words, from the name or from its keyed digest.

A call record from a dataset file carries ``lead.name``; a ``CallEnded`` event never does, only
``customer.name_digest = common.privacy.name_digest(pii_key, name)`` (an HMAC-SHA256 of the name
without whitespace). With the same key the QA service digests every candidate 2–4 character CJK
substring of an agent turn and compares: at most three digests per character, so linear in the
transcript's length. Candidate digests are cached per key (call-centre speech reuses the same
few thousand bigrams and trigrams), which makes the common case a dictionary lookup.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Protocol

# CJK Unified Ideographs and Extension A: what Chinese names are written in.
_CJK_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF))
NAME_LENGTHS = (2, 3, 4)


def is_cjk(ch: str) -> bool:
    o = ord(ch)
    return any(a <= o <= b for a, b in _CJK_RANGES)


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


@lru_cache(maxsize=8)
def _digester(key: str) -> Callable[[str], str]:
    """``name_digest`` for one key, cached per candidate string."""
    base = hmac.new(key.encode(), digestmod=hashlib.sha256)

    @lru_cache(maxsize=65536)
    def digest(candidate: str) -> str:
        h = base.copy()
        h.update(candidate.encode())
        return h.hexdigest()[:32]

    return digest


class DigestName:
    """Only the keyed digest of the name is known (``CallEnded.customer.name_digest``)."""

    def __init__(self, key: str, digest: str, lengths: tuple[int, ...] = NAME_LENGTHS) -> None:
        self.digest = digest
        self.lengths = lengths
        self._hash = _digester(key)

    def occurrences(self, text: str) -> Iterator[tuple[int, int]]:
        target, digest, lengths = self.digest, self._hash, self.lengths
        n = len(text)
        run_end = 0  # end of the run of CJK characters that starts at or before i
        for i in range(n):
            if i >= run_end:
                if not is_cjk(text[i]):
                    continue
                run_end = i + 1
                while run_end < n and is_cjk(text[run_end]):
                    run_end += 1
            for length in lengths:
                end = i + length
                if end > run_end:
                    break
                if digest(text[i:end]) == target:
                    yield i, end
                    break


def name_matcher(name: str | None, digest: str | None, key: str | None) -> NameMatcher | None:
    """The plain name when known, else the digest with its key; ``None`` when neither is usable."""
    if name and len("".join(name.split())) >= 2:
        return PlainName(name)
    if digest and key:
        return DigestName(key, digest)
    return None
