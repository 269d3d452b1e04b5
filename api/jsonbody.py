"""The API's JSON reader: a request body is read once, and refused (400) when it holds what
cannot go on to Redis, storage or a log.

JSON may spell a string Unicode has no encoding for: a lone surrogate escape
such as ``"\\ud800"`` (RFC 8259 §8.2 leaves it to the reader). Python decodes it
into a ``str`` that every later ``encode()`` refuses, so it is refused here,
before anything is stored, wherever it is in the body (keys too): a URL, an
option, a Ximilar record's ``_url`` or ``_id``. So is a body nested too deeply
to decode.
"""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider

from common.errors import BadRequest


def require_encodable(value: Any) -> None:
    """Raise ``BadRequest`` if a string anywhere in ``value`` (decoded JSON) is not valid
    Unicode (walked without recursion: bodies may be large and deep)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    raise BadRequest(
                        "the JSON body holds a string that is not valid Unicode "
                        "(a lone surrogate such as \\ud800)"
                    ) from None
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with request bodies checked by :func:`require_encodable`. Its errors are
    not ``ValueError``, so they reach the client as 400 even through
    ``get_json(silent=True)``."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise BadRequest("the JSON body is nested too deeply") from None
        require_encodable(value)
        return value
