"""The codes a client sees for hostile files, through the real service: a zlib bomb in a PNG text
or ``iCCP`` chunk before ``IDAT`` is ``decompression_bomb`` (as the README promises), and an
XMP packet that declares an external entity (XXE) is not a bomb.

The media-level rules live in ``worker/media/containers/inflate.py`` (one inflation budget per
file, checked before Pillow opens a PNG) and ``worker/media/extract/xmp.py`` (an external entity
skips the packet with a warning).
"""

from __future__ import annotations

import io
import struct
import zlib
from functools import cache

import pytest
import requests
from PIL import Image

from tests.integration.conftest import upload
from tests.support.stack import finished

pytestmark = pytest.mark.integration


def chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def png_with(extra: bytes) -> bytes:
    """A 1×1 PNG with ``extra`` chunks between IHDR and IDAT."""
    out = io.BytesIO()
    Image.new("L", (1, 1)).save(out, "PNG")
    data = out.getvalue()
    ihdr_end = 8 + 25
    return data[:ihdr_end] + extra + data[ihdr_end:]


@cache
def bomb() -> bytes:
    """200 MiB of zeros in about 200 kB of zlib, compressed a MiB at a time."""
    packer, zeros = zlib.compressobj(9), bytes(1024 * 1024)
    return b"".join(packer.compress(zeros) for _ in range(200)) + packer.flush()


BOMB_CHUNKS = {"zTXt": b"Comment\x00\x00", "iCCP": b"ICC profile\x00\x00"}
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/" dc:format="&xxe;"/></rdf:RDF></x:xmpmeta>'
)


def run_job(stack, op: str, data: bytes, name: str) -> dict:
    answer = requests.post(f"{stack.api_url}/api/v1/{op}", files=upload(data, name))
    assert answer.status_code == 202, answer.text
    return finished(stack.api_url, answer.json(), timeout=60)


@pytest.mark.parametrize("op", ["extract", "hash"])
@pytest.mark.parametrize("kind", sorted(BOMB_CHUNKS))
def test_a_zlib_bomb_before_idat_is_a_decompression_bomb(stack, kind, op):
    data = png_with(chunk(kind.encode(), BOMB_CHUNKS[kind] + bomb()))
    result = run_job(stack, op, data, f"{kind}.png")
    assert result["status"] == "failed", result
    assert result["error"]["code"] == "decompression_bomb", result


def test_xxe_in_xmp_is_not_reported_as_a_bomb(stack):
    out = io.BytesIO()
    Image.new("RGB", (16, 16)).save(out, "JPEG", xmp=XXE)
    result = run_job(stack, "extract", out.getvalue(), "xxe.jpg")
    assert result.get("error", {}).get("code") != "decompression_bomb", result
    assert result["status"] == "completed", result
