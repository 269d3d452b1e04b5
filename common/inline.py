"""Files sent inline as text: plain base64, or a ``data:`` URL (RFC 2397) whose data is base64.

``data:image/png;base64,iVBORw0...`` (Cloudinary's ``file``) and the bare base64 text
(Ximilar's ``_base64``) are both taken; the standard and the URL-safe alphabets
(RFC 4648 §4 and §5), with or without ``=`` padding, line breaks and spaces
ignored. The decoded size is checked against the upload limit *before* decoding
(413); anything that is not base64 is a 400. The media type a ``data:`` URL names
is not trusted: the bytes are sniffed like any upload.
"""

from __future__ import annotations

import base64
import binascii
import re

from common.errors import BadRequest, TooLarge

_DATA_URL = re.compile(r"^data:(?P<type>[^,;]*)(?P<params>(?:;[^,;]*)*),", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_ALPHABET = re.compile(r"^[A-Za-z0-9+/\-_]*={0,2}$")
_URLSAFE = bytes.maketrans(b"-_", b"+/")


def decoded_size(text: str) -> int:
    """The size of what ``text`` (base64, spaces removed, padding optional) decodes to."""
    body = text.rstrip("=")
    return len(body) * 3 // 4


def _payload(value: str) -> str:
    match = _DATA_URL.match(value)
    if match is None:
        return value
    if "base64" not in [p.strip().lower() for p in match["params"].split(";")]:
        raise BadRequest("a data: URL must carry base64 data (';base64,')")
    return value[match.end() :]


def decode_base64(value: object, max_bytes: int, what: str = "base64") -> bytes:
    """The bytes ``value`` encodes; 400 when it is no base64 text, 413 over ``max_bytes``."""
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{what} must be a non-empty string of base64 or a data: URL")
    text = _SPACE.sub("", _payload(value.strip()))
    if decoded_size(text) > max_bytes:
        raise TooLarge(f"file too large (limit {max_bytes} bytes)")
    if not text or not _ALPHABET.match(text) or len(text.rstrip("=")) % 4 == 1:
        raise BadRequest(f"{what} is not valid base64")
    padded = text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4)
    try:
        return base64.b64decode(padded.encode("ascii").translate(_URLSAFE), validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(f"{what} is not valid base64") from None
