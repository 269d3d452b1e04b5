"""What a request sends: one :class:`Input` per file, bytes, open file or URL.

The client takes a path (``str`` or ``os.PathLike``), ``bytes``, a binary file
object or an ``http(s)://`` URL wherever it takes an image
(:func:`to_input`). A file is streamed at the size it had when listed and
never read into memory whole; bytes and file objects are sent as they are.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import IO, BinaryIO, Union

Source = Union[str, os.PathLike, bytes, bytearray, memoryview, BinaryIO]  # noqa: UP007
URL_SCHEMES = ("http://", "https://")


class LazyFile:
    """A file read once, front to back, opened at the first read and closed at its end.

    ``len`` is the number of bytes still to come (what ``MultipartEncoder`` asks).
    A file that shrinks or vanishes meanwhile is padded with zero bytes to the
    listed size (the server then reports that item as a bad image) rather than
    corrupting the request.
    """

    def __init__(self, path: Path, size: int) -> None:
        self.path, self.size, self.sent = path, size, 0
        self._file: IO[bytes] | None = None
        self._failed = False

    @property
    def len(self) -> int:
        return self.size - self.sent

    def read(self, amount: int | None = -1) -> bytes:
        left = self.size - self.sent
        amount = left if amount is None or amount < 0 else min(amount, left)
        if amount <= 0:
            self.close()
            return b""
        data = self._read_file(amount)
        data += bytes(amount - len(data))  # the file shrank or vanished: pad to the stated size
        self.sent += amount
        if self.sent == self.size:
            self.close()
        return data

    def _read_file(self, amount: int) -> bytes:
        if self._failed:
            return b""
        try:
            if self._file is None:
                self._file = self.path.open("rb")
            return self._file.read(amount)
        except OSError:
            self._failed = True
            self.close()
            return b""

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class _Window:
    """The next ``size`` bytes of a file object, with ``len`` bytes left (zero-padded if the
    object ends sooner)."""

    def __init__(self, file: BinaryIO, size: int) -> None:
        self.file, self.left = file, size

    @property
    def len(self) -> int:
        return self.left

    def read(self, amount: int | None = -1) -> bytes:
        amount = self.left if amount is None or amount < 0 else min(amount, self.left)
        data = self.file.read(amount) if amount > 0 else b""
        data += bytes(amount - len(data))
        self.left -= amount
        return data


@dataclass(frozen=True)
class Input:
    """One thing to send: a file on disk (``path``), ``data`` in memory, an open ``file``
    (read from ``start``) or a ``url``; ``name`` is what the server calls it."""

    path: Path | None
    name: str
    size: int  # bytes of the file part (0 for a URL)
    data: bytes | None = None
    file: BinaryIO | None = None
    start: int = 0
    url: str | None = None

    def stream(self) -> LazyFile | _Window:
        """A fresh reader of the bytes to send (for each attempt of a request), with ``len``
        (the bytes still to come)."""
        if self.path is not None:
            return LazyFile(self.path, self.size)
        if self.data is not None:
            return _Window(io.BytesIO(self.data), self.size)
        if self.file is None:
            raise ValueError(f"{self.name}: a URL has no bytes to send")
        if self.file.tell() != self.start:
            if not self.file.seekable():
                raise ValueError(f"{self.name}: the file object cannot be read again")
            self.file.seek(self.start)
        return _Window(self.file, self.size)


def is_url(value: object) -> bool:
    return isinstance(value, str) and value[:8].lower().startswith(URL_SCHEMES)


def to_input(source: Source | Input, name: str | None = None) -> Input:
    """The :class:`Input` for a path, bytes, a binary file object or an ``http(s)://`` URL.

    Raises ``ValueError`` for an empty path and ``FileNotFoundError`` /
    ``IsADirectoryError`` for a path that is not a file.
    """
    if isinstance(source, Input):
        return source
    if is_url(source):
        return Input(None, name or str(source), 0, url=str(source).strip())
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        return Input(None, name or "upload", len(data), data=data)
    if isinstance(source, str | os.PathLike):
        text = os.fspath(source)
        if not text:
            raise ValueError("an empty path names no file")
        path = Path(text)
        if path.is_dir():
            raise IsADirectoryError(f"{path}: is a directory (pass its files)")
        return Input(path, name or path.name, path.stat().st_size)
    if hasattr(source, "read"):
        start = source.tell() if source.seekable() else 0
        size = _remaining(source, start)
        default = PurePath(str(getattr(source, "name", "") or "upload")).name or "upload"
        return Input(None, name or default, size, file=source, start=start)
    raise TypeError(f"not an image source: {type(source).__name__} (a path, bytes or a file)")


def _remaining(file: BinaryIO, start: int) -> int:
    """Bytes from ``start`` to the end of a seekable file object."""
    if file.seekable():
        end = file.seek(0, io.SEEK_END)
        file.seek(start)
        return end - start
    raise ValueError("a file object that cannot seek: pass bytes or a path instead")
