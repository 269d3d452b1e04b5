"""Why a parser or decoder refused a file, in words for people: never a Python repr.

Pillow's and zlib's own messages are sentences ("image file is truncated"), so
they are kept; what a structure that slipped past our bounds checks raises
(``KeyError: 'MPO'``, ``struct.error``, ``IndexError``) and messages that carry
an object or a bytes repr (``<_io.BytesIO object at 0x...>``, ``b'IDAT'``) are
replaced by a plain description.
"""

from __future__ import annotations

import re
import struct

from common.errors import CorruptImage

# What a malformed structure raises inside a parser: its text names Python, not the file.
_INTERNAL = (KeyError, IndexError, TypeError, AttributeError, struct.error, OverflowError)
_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-f]+>|\bb'[^']*'|\bb\"[^\"]*\"")


def reason(exc: BaseException, default: str = "its data is malformed") -> str:
    """A person's reading of ``exc``: its message when it is one, else ``default``."""
    if isinstance(exc, _INTERNAL):
        return default
    text = str(exc).strip()
    if type(exc).__name__ == "UnidentifiedImageError":
        return "the decoder does not recognise its contents"
    if not text or _REPR.search(text):
        return default
    return text


def undecodable(exc: BaseException) -> CorruptImage:
    """The error for pixels a decoder could not read (``exc``), in words for people."""
    return CorruptImage(f"cannot decode image data: {reason(exc)}")
