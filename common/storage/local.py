"""A directory on local disk as object storage (``STORAGE=local``), for ``exifq dev`` and tests.

Writes go to a temporary file in the target directory and are renamed into
place, so a reader never sees half an object. Several processes on one
machine (API and workers) may share the directory. It has no lifecycle
rule: the beat sweeper deletes what is older than the TTL.

Every operation may run at the same time as any other, in any thread or
process: a delete prunes the directories it leaves empty (``cleaned/{uuid}/``),
so a put that finds its directory gone between creating it and creating its
temporary file there creates it again. A failing disk (``ENOSPC``, ``EIO``,
permissions...) is a ``TransientError``: the API answers 503, a worker retries.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from common.errors import TransientError
from common.settings import Settings

from . import ObjectNotFound, Storage, check_key

_TEMP_PREFIX = ".part-"
_ATTEMPTS = 100  # a put re-creating its directory; each lost race means a delete ran meanwhile


@contextlib.contextmanager
def _disk_errors(key: str) -> Iterator[None]:
    """``OSError`` (disk full, I/O error, ...) as ``TransientError``; a missing key as
    ``ObjectNotFound``."""
    try:
        yield
    except (FileNotFoundError, NotADirectoryError):
        raise ObjectNotFound(key) from None
    except OSError as exc:
        raise TransientError(f"storage: {key}: {exc.strerror or exc}") from exc


class LocalStorage(Storage):
    parallel_puts = 1

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def ensure_ready(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def ping(self) -> None:
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise TransientError(f"storage directory {self.root} is not writable")

    def free_bytes(self) -> int | None:
        with _disk_errors(""):
            return shutil.disk_usage(self.root).free

    def _temp_file(self, directory: Path) -> tuple[int, str]:
        """A new temporary file in ``directory``, creating the directory (again) as needed."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        for _ in range(_ATTEMPTS):
            temp = f"{directory}/{_TEMP_PREFIX}{uuid.uuid4().hex}"
            try:
                return os.open(temp, flags, 0o600), temp
            except FileNotFoundError:  # a first put there, or a delete pruned the directory
                with contextlib.suppress(FileExistsError):
                    directory.mkdir(parents=True, exist_ok=True)
        raise TransientError(f"storage: {directory} keeps disappearing")

    def put(self, key: str, data: bytes | BinaryIO, *, content_type: str | None = None) -> None:
        path = self._path(key)
        with _disk_errors(key):
            fd, temp = self._temp_file(path.parent)
            try:
                with os.fdopen(fd, "wb") as out:
                    if isinstance(data, bytes | bytearray | memoryview):
                        out.write(data)
                    else:
                        shutil.copyfileobj(data, out, 1024 * 1024)
                # The temporary file keeps the directory non-empty, so no delete prunes it.
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise

    def get(self, key: str) -> bytes:
        with _disk_errors(key), open(self._path(key), "rb", buffering=0) as stream:
            return stream.readall()

    def open(self, key: str) -> BinaryIO:
        with _disk_errors(key):
            return self._path(key).open("rb")

    def exists(self, key: str) -> bool:
        with _disk_errors(key):
            return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        with _disk_errors(key):
            path.unlink(missing_ok=True)
        # Drop directories the delete left empty (cleaned/{uuid}/), up to the root's children
        # (uploads/, results/, ...), which stay. A directory another put is writing into is
        # not empty, and rmdir leaves it.
        for parent in path.parents:
            if parent.parent == self.root or self.root not in parent.parents:
                break
            try:
                parent.rmdir()
            except OSError:
                break

    def list_older_than(self, prefix: str, cutoff: float) -> Iterator[str]:
        base = self.root / check_key(prefix.rstrip("/"))
        for directory, _, files in os.walk(base):
            for name in files:
                path = Path(directory, name)
                try:
                    written = path.stat().st_mtime
                except FileNotFoundError:
                    continue  # deleted meanwhile
                if written < cutoff:
                    yield path.relative_to(self.root).as_posix()


def create(settings: Settings, *, timeout: float | None = None) -> LocalStorage:
    """The store in ``LOCAL_STORAGE_DIR`` (``timeout`` does not apply to a local disk)."""
    return LocalStorage(settings.LOCAL_STORAGE_DIR)
