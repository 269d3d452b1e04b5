"""exifq's client side: the Python client (:class:`exifq.Client`) and the ``exifq`` command
line (:mod:`exifq.cli`).

``from exifq import Client`` loads the client and its errors on first use, so
``exifq strip --local`` never imports ``requests``. Nothing here imports the
server packages (``api``, ``worker``) at import time: only the commands that
launch them (``dev``, ``api``, ``worker``, ``beat``, ``--local``) do, inside
the command.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from exifq.batches import BatchItem
    from exifq.client import Client
    from exifq.errors import (
        BadRequest,
        ExifqError,
        JobFailed,
        NotFound,
        RateLimited,
        ServerError,
        ServerUnreachable,
        TimedOut,
        TooLarge,
        Unauthorized,
        Unavailable,
        UnsupportedMedia,
    )

__all__ = [  # noqa: RUF022 - the client first
    "Client",
    "BatchItem",
    "BadRequest",
    "ExifqError",
    "JobFailed",
    "NotFound",
    "RateLimited",
    "ServerError",
    "ServerUnreachable",
    "TimedOut",
    "TooLarge",
    "Unauthorized",
    "Unavailable",
    "UnsupportedMedia",
]


# where each name lives: the client and its batch items, and every error
_EXPORTS = dict.fromkeys(__all__, "exifq.errors") | {
    "Client": "exifq.client",
    "BatchItem": "exifq.batches",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'exifq' has no attribute {name!r}")
