"""Object storage: one interface, one small module per backend (thumbor's storages are the model).

``STORAGE=s3`` loads :mod:`common.storage.s3`, ``STORAGE=local`` loads
:mod:`common.storage.local`; a new backend is a new module here with a
``create(settings, *, timeout=None) -> Storage`` function (``timeout``: the
API's request path wants short, bounded calls; ``None``: a worker's). Keys
are ``/``-separated paths such as ``uploads/{uuid}`` or ``cleaned/{uuid}/{name}``.
Backends raise :class:`ObjectNotFound` for a missing key and
``common.errors.TransientError`` for faults that may pass (the endpoint is
unreachable, times out or answers 5xx, the disk is full). Every operation is
safe to run concurrently with any other, across threads and processes.
"""

from __future__ import annotations

import importlib
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import BinaryIO

from common.settings import Settings

# What our keys look like: no empty, "." or ".." segments, no leading slash.
_KEY = re.compile(r"^(?!.*(?:^|/)\.{1,2}(?:/|$))[A-Za-z0-9._\-]+(?:/[A-Za-z0-9._\-]+)*$")


class ObjectNotFound(KeyError):
    """The key does not exist (never written, deleted, or expired by the lifecycle rule)."""


def check_key(key: str) -> str:
    """Return ``key`` if it is a safe relative object key, else raise ``ValueError``."""
    if not _KEY.match(key):
        raise ValueError(f"invalid object key: {key!r}")
    return key


class Storage(ABC):
    """Where uploads, results and cleaned files live for ``RESULT_TTL_SECONDS``."""

    # How many puts are worth running at once: a network store hides its latency behind
    # parallel requests; a local disk has none to hide (threads would only add their cost).
    parallel_puts: int = 8

    @abstractmethod
    def ensure_ready(self) -> None:
        """Create what the backend needs (bucket, lifecycle rule, directory); idempotent."""

    @abstractmethod
    def ping(self) -> None:
        """Raise ``TransientError`` unless the store answers (for ``/readyz``)."""

    @abstractmethod
    def put(self, key: str, data: bytes | BinaryIO, *, content_type: str | None = None) -> None:
        """Store ``data`` (bytes, or a readable file streamed without loading it) under ``key``."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A readable stream of the object (the caller closes it)."""

    def get(self, key: str) -> bytes:
        """The whole object."""
        with self.open(key) as stream:
            return stream.read()

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether ``key`` holds an object."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error (deletes are retried)."""

    @abstractmethod
    def list_older_than(self, prefix: str, cutoff: float) -> Iterator[str]:
        """Keys under ``prefix`` last written before ``cutoff`` (epoch seconds)."""

    def free_bytes(self) -> int | None:
        """Room left for objects, when the backend has a limit it can tell (a local disk)."""
        return None

    def presigned_url(
        self, key: str, seconds: int, *, content_disposition: str, content_type: str
    ) -> str | None:
        """A URL that lets anyone GET ``key`` for ``seconds``, answered with these headers;
        ``None`` when the backend has no such URLs (the API then streams the object)."""
        return None


def get_storage(settings: Settings, *, timeout: float | None = None) -> Storage:
    """The backend ``settings.STORAGE`` names, built from ``settings`` (no I/O until used);
    ``timeout`` bounds each call on the API's request path."""
    try:
        module = importlib.import_module(f"{__name__}.{settings.STORAGE}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{settings.STORAGE}":
            raise
        raise ValueError(f"STORAGE={settings.STORAGE!r}: no such storage backend") from None
    return module.create(settings) if timeout is None else module.create(settings, timeout=timeout)
