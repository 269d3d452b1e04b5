"""A directory on local disk as object storage (``STORAGE=local``), for ``exifq dev`` and tests.

Writes go to a temporary file in the target directory and are renamed into
place, so a reader never sees half an object. Several processes on one
machine (API and workers) may share the directory. It has no lifecycle
rule: the beat sweeper deletes what is older than the TTL.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from common.errors import TransientError
from common.settings import Settings

from . import ObjectNotFound, Storage, check_key

_TEMP_PREFIX = ".part-"


class LocalStorage(Storage):
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def ensure_ready(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def ping(self) -> None:
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise TransientError(f"storage directory {self.root} is not writable")

    def put(self, key: str, data: bytes | BinaryIO, *, content_type: str | None = None) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(data, bytes | bytearray | memoryview):
                    out.write(data)
                else:
                    shutil.copyfileobj(data, out, 1024 * 1024)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except (FileNotFoundError, NotADirectoryError):
            raise ObjectNotFound(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        # Drop directories the delete left empty (cleaned/{uuid}/), up to the root.
        for parent in path.parents:
            if parent == self.root or self.root not in parent.parents:
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


def create(settings: Settings) -> LocalStorage:
    return LocalStorage(settings.LOCAL_STORAGE_DIR)
