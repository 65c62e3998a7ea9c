"""The id -> subject token mapping is injective: two aggregates never share a subject."""

from __future__ import annotations

import re

import pytest
from common.events.base import MAX_ID_BYTES, subject_token
from hypothesis import given
from hypothesis import strategies as st

# What a NATS subject token may hold: no separators, wildcards or whitespace.
_VALID_TOKEN = re.compile(r"^[^\s.*>]+$")

# Ids as the API accepts them (calls and leads: [A-Za-z0-9_\-:]{1,128}), and any text at all.
api_ids = st.from_regex(r"\A[A-Za-z0-9_\-:]{1,128}\Z")
any_ids = st.text(min_size=0, max_size=300)


@given(api_ids, api_ids)
def test_distinct_api_ids_never_share_a_token(a: str, b: str) -> None:
    if a != b:
        assert subject_token(a) != subject_token(b)


@given(any_ids, any_ids)
def test_distinct_ids_of_any_text_never_share_a_token(a: str, b: str) -> None:
    if a != b:
        assert subject_token(a) != subject_token(b)


@given(st.one_of(api_ids, any_ids))
def test_every_token_is_one_valid_subject_token(value: str) -> None:
    assert _VALID_TOKEN.match(subject_token(value))


def test_long_ids_that_share_a_prefix_get_different_tokens() -> None:
    """The case found: ids with ':' were hex-encoded and cut at 200 characters."""
    first, second = "z:" + "a" * 110 + "1", "z:" + "a" * 110 + "2"
    assert subject_token(first) != subject_token(second)


def test_a_safe_id_that_looks_like_an_encoded_one_stays_distinct() -> None:
    encoded = subject_token("a:b")
    assert encoded.startswith("x_")
    assert subject_token(encoded) != encoded  # the id "x_…" itself is encoded, not passed through


def test_safe_ids_pass_through_unchanged() -> None:
    assert subject_token("c-000123") == "c-000123"
    assert subject_token("LEAD_42") == "LEAD_42"


def test_an_id_too_long_for_a_subject_is_refused_not_truncated() -> None:
    with pytest.raises(ValueError, match="at most"):
        subject_token("é" * MAX_ID_BYTES)
