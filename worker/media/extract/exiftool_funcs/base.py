"""What the helper modules share: a Perl value as bytes, the current byte order, helper data."""

from __future__ import annotations

from .. import perl as P
from ..perl import Env, pstr


def as_bytes(value: object) -> bytes:
    if isinstance(value, P.Ref):
        value = value.value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return pstr(value).encode("latin-1", "replace")


def byte_order(V: Env) -> str:
    state = V.get("$self") or {}
    return state.get("BYTE_ORDER", "<")


def helper_data(helper: str, variable: str) -> object:
    """A variable of an ExifTool helper, dumped with the tables in use."""
    from ..tables import active

    return active().helper_data(helper, variable)
