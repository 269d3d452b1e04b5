"""Request bodies streamed from disk with a known length: nothing is held in memory whole.

- :func:`multipart_body`: the batch upload, built with ``requests_toolbelt``'s
  ``MultipartEncoder`` over :class:`LazyFile` parts, so thousands of files
  need neither their bytes in memory nor thousands of open descriptors.
- :func:`split_for_batches`: a run's inputs cut into requests the server
  accepts (``GET /api/v1/limits``), in order.
- :class:`JsonRecordsBody`: ``{"records": [{"_id": NAME, "_base64": "…"}, …], …}``
  for the Ximilar-shaped endpoints, base64-encoded while it is sent.

Both know their length up front (``Content-Length``, no chunked encoding):
each file counts with the size it had when listed; a file that changes in the
meantime is cut or padded with zero bytes to that size (the server then
reports that item as a bad image) rather than corrupting the request.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from pathlib import Path

from requests_toolbelt.multipart.encoder import MultipartEncoder, MultipartEncoderMonitor

from exifq.cli.inputs import Input

CHUNK = 3 * 64 * 1024  # a multiple of 3, so base64 of the chunks concatenates


class LazyFile:
    """A file read once, front to back, opened at the first read and closed at its end.

    ``len`` is the number of bytes still to come (what ``MultipartEncoder`` asks).
    """

    def __init__(self, path: Path, size: int) -> None:
        self.path, self.size, self.sent = path, size, 0
        self._file = None
        self._failed = False

    @property
    def len(self) -> int:
        return self.size - self.sent

    def read(self, amount: int = -1) -> bytes:
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


def multipart_body(
    inputs: Iterable[Input],
    fields: dict[str, str],
    on_progress: Callable[[int], None] | None = None,
) -> MultipartEncoderMonitor:
    """A ``multipart/form-data`` body: the option ``fields``, then one ``file`` field per input
    (its item name as the file name). ``on_progress`` gets the bytes sent so far."""
    parts: list[tuple[str, object]] = list(fields.items())
    parts += [
        ("file", (item.name, LazyFile(item.path, item.size), "application/octet-stream"))
        for item in inputs
    ]
    encoder = MultipartEncoder(fields=parts)
    callback = (lambda monitor: on_progress(monitor.bytes_read)) if on_progress else None
    return MultipartEncoderMonitor(encoder, callback)


# Framing of one file part in bytes, at most: boundary, headers, the file name
# (escaped: up to 3 bytes per byte) and the closing CRLF; measured 138 + name.
PART_FRAMING = 256
FIELDS_ALLOWANCE = 64 * 1024  # the option fields and the closing boundary


def split_for_batches(inputs: list[Input], max_items: int, max_bytes: int) -> list[list[Input]]:
    """``inputs`` in order, cut into runs of at most ``max_items`` files whose multipart body
    (:func:`multipart_body`) stays within ``max_bytes``. A file too large for any request goes
    alone (the server then answers 413 for it)."""
    chunks: list[list[Input]] = []
    chunk: list[Input] = []
    size = FIELDS_ALLOWANCE
    for item in inputs:
        part = PART_FRAMING + 3 * len(item.name.encode()) + item.size
        if chunk and (len(chunk) == max_items or size + part > max_bytes):
            chunks.append(chunk)
            chunk, size = [], FIELDS_ALLOWANCE
        chunk.append(item)
        size += part
    return [*chunks, chunk] if chunk else chunks


class JsonRecordsBody:
    """A JSON object ``{"records": [...], **fields}`` whose records carry files as ``_base64``.

    A file-like object with ``len`` (bytes left) that ``requests`` streams.
    The text equals ``json.dumps({"records": [{"_id": name, "_base64": b64}...], **fields})``
    with ``ensure_ascii`` (ASCII only, so characters and bytes count the same).
    """

    def __init__(
        self,
        inputs: list[Input],
        fields: dict[str, object],
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        self._segments: list[bytes | LazyFile] = [b'{"records": [']
        for i, item in enumerate(inputs):
            head = ", " if i else ""
            head += '{"_id": ' + json.dumps(item.name) + ', "_base64": "'
            self._segments += [head.encode(), LazyFile(item.path, item.size), b'"}']
        tail = "]" + "".join(f", {json.dumps(k)}: {json.dumps(v)}" for k, v in fields.items())
        self._segments.append((tail + "}").encode())
        self.total = sum(_encoded_length(s) for s in self._segments)
        self.sent = 0
        self._pending = b""
        self._index = 0
        self.on_progress = on_progress  # called with the bytes sent so far

    @property
    def len(self) -> int:
        return self.total - self.sent

    def read(self, amount: int = -1) -> bytes:
        want = self.total if amount is None or amount < 0 else amount
        while len(self._pending) < want and self._index < len(self._segments):
            segment = self._segments[self._index]
            if isinstance(segment, bytes):
                self._pending += segment
                self._index += 1
                continue
            chunk = segment.read(CHUNK)
            if chunk:
                self._pending += base64.b64encode(chunk)
            if not segment.len:
                self._index += 1
        data, self._pending = self._pending[:want], self._pending[want:]
        self.sent += len(data)
        if self.on_progress:
            self.on_progress(self.sent)
        return data

    def __iter__(self):  # requests sends an iterable body chunk by chunk
        while chunk := self.read(64 * 1024):
            yield chunk


def _encoded_length(segment: bytes | LazyFile) -> int:
    if isinstance(segment, bytes):
        return len(segment)
    return 4 * -(-segment.size // 3)
