"""The file name a fetched URL goes by, made safe to use as a storage key or download name.

The name comes from the response's ``Content-Disposition`` (RFC 6266, with the
RFC 8187 ``filename*=UTF-8''...`` form preferred, parsed by the standard
library's e-mail header code) or else from the last segment of the URL path,
percent-decoded. Either way it is then reduced to one safe path component.
"""

from __future__ import annotations

import re
import unicodedata
from email.message import EmailMessage
from urllib.parse import unquote

DEFAULT_NAME = "download"
MAX_NAME_LENGTH = 120
_KEPT_PUNCTUATION = frozenset("._-+()[]@, ")


def file_name(content_disposition: str | None, url_path: str) -> str:
    """The safe name for a download: from ``Content-Disposition`` if it gives one, else the URL."""
    for raw in (_disposition_name(content_disposition), _path_name(url_path)):
        name = sanitise(raw or "")
        if name:
            return name
    return DEFAULT_NAME


def sanitise(raw: str) -> str:
    """Reduce ``raw`` to one harmless path component, or ``""`` when nothing is left.

    Keeps only what follows the last ``/`` or ``\\``; keeps letters and digits
    of any script and a little punctuation, replacing anything else (control
    characters, ``:*?"<>|``, ...) with ``_``; strips leading dots (no ``..``,
    no hidden files) and surrounding spaces; caps the length, keeping the
    extension.
    """
    name = unicodedata.normalize("NFC", raw)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch if ch.isalnum() or ch in _KEPT_PUNCTUATION else "_" for ch in name)
    name = re.sub(r"_{2,}", "_", name).strip(" ").lstrip(".").rstrip(". ")
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: MAX_NAME_LENGTH - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_NAME_LENGTH]
    return name


def _disposition_name(header: str | None) -> str | None:
    if not header:
        return None
    message = EmailMessage()
    message["Content-Disposition"] = header
    try:
        return message.get_filename()
    except (ValueError, LookupError):  # a malformed header or an unknown charset
        return None


def _path_name(url_path: str) -> str:
    return unquote(url_path.rsplit("/", 1)[-1], errors="replace")
