"""Inline files (common.inline): plain base64 and data: URLs, and where they are refused."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.errors import BadRequest, TooLarge
from common.inline import decode_base64, decoded_size

DATA = bytes(range(256)) * 3 + b"\xff\xfe"


@pytest.mark.parametrize(
    "text",
    [
        base64.b64encode(DATA).decode(),
        base64.urlsafe_b64encode(DATA).decode(),
        base64.b64encode(DATA).decode().rstrip("="),
        base64.encodebytes(DATA).decode(),  # MIME line breaks
        "data:image/png;base64," + base64.b64encode(DATA).decode(),
        "DATA:;charset=x;BASE64," + base64.b64encode(DATA).decode(),
        "  " + base64.b64encode(DATA).decode() + "\n",
    ],
    ids=["standard", "urlsafe", "unpadded", "mime", "data-url", "data-url-params", "spaces"],
)
def test_accepted_forms(text):
    assert decode_base64(text, 10_000) == DATA


@pytest.mark.parametrize(
    "value",
    ["", "   ", "abc*def", "a", "abcde", "data:image/png,rawdata", "data:image/png;base64,@@", 42,
     None, ["aGk="], "aGk=aGk="],
)  # fmt: skip
def test_malformed_is_400(value):
    with pytest.raises(BadRequest):
        decode_base64(value, 10_000)


def test_over_the_limit_is_413_before_decoding():
    text = "A" * 4000  # 3000 bytes
    assert decoded_size(text) == 3000
    assert len(decode_base64(text, 3000)) == 3000
    with pytest.raises(TooLarge):
        decode_base64(text, 2999)
    with pytest.raises(TooLarge):
        decode_base64("data:image/jpeg;base64," + "A" * 10**6, 1000)


@given(st.binary(max_size=300))
def test_any_bytes_round_trip(data):
    encoded = base64.b64encode(data).decode()
    if data:
        assert decode_base64(encoded, 300) == data
        assert decode_base64("data:application/octet-stream;base64," + encoded, 300) == data
