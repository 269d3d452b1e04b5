"""Gunicorn's access log with every value escaped, so a request cannot forge or garble lines.

The path gunicorn logs (``%(U)s``) is percent-decoded: ``/a%0a127.0.0.1 "GET /admin"``
would write a second, forged line, ``%00`` a NUL, ``%1b[2J`` a terminal
escape. Every string a log line takes from the request (path, headers, the
whole request line...) has its control characters (C0, DEL, C1) written as
``\\xNN``, its backslashes doubled and its double quotes escaped, as nginx
and Apache do. ``exifq api`` runs gunicorn with ``--logger-class
api.accesslog.AccessLogger``.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

_ESCAPES = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))}
_ESCAPES[ord("\\")] = "\\\\"
_ESCAPES[ord('"')] = '\\"'


def escape(text: str) -> str:
    """``text`` with control characters, backslashes and double quotes escaped."""
    return text.translate(_ESCAPES)


class EscapedAtoms(dict):
    """Gunicorn's ``SafeAtoms`` (case-insensitive ``{header}i`` atoms, ``-`` for what is
    missing) with every string escaped."""

    def __init__(self, atoms: dict) -> None:
        super().__init__(
            (key, escape(value) if isinstance(value, str) else value)
            for key, value in atoms.items()
        )

    def __getitem__(self, key: str):
        if key.startswith("{"):
            key = key.lower()
        return super().__getitem__(key) if key in self else "-"


class AccessLogger(Logger):
    """Gunicorn's logger, writing the access log through :class:`EscapedAtoms`."""

    atoms_wrapper_class = EscapedAtoms
