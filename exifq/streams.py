"""Request bodies streamed from their sources with a known length: nothing is held in memory whole.

- :func:`multipart_body`: a job or batch upload, built with ``requests_toolbelt``'s
  ``MultipartEncoder`` over each input's stream (:class:`exifq.sources.LazyFile`
  for files), so thousands of files need neither their bytes in memory nor
  thousands of open descriptors; URL inputs go as ``url`` fields.
- :func:`split_for_batches`: a run's inputs cut into requests the server
  accepts (``GET /api/v1/limits``), in order.
- :class:`JsonRecordsBody`: ``{"records": [{"_id": NAME, "_base64": "…"}, …], …}``
  for the Ximilar-shaped endpoints, base64-encoded while it is sent.

Both know their length up front (``Content-Length``, no chunked encoding).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from requests_toolbelt.multipart.encoder import MultipartEncoder, MultipartEncoderMonitor

from exifq.sources import Input

CHUNK = 3 * 64 * 1024  # a multiple of 3, so base64 of the chunks concatenates
OCTETS = "application/octet-stream"


def multipart_body(
    inputs: Iterable[Input],
    fields: dict[str, str],
    on_progress: Callable[[int], None] | None = None,
    file_field: str = "file",
) -> MultipartEncoderMonitor:
    """A ``multipart/form-data`` body: the option ``fields``, then one ``file`` field per file
    input (its name as the file name), then one ``url`` field per URL input.
    ``on_progress`` gets the bytes sent so far."""
    parts: list[tuple[str, object]] = list(fields.items())
    items = list(inputs)
    parts += [(file_field, (i.name, i.stream(), OCTETS)) for i in items if i.url is None]
    parts += [("url", i.url) for i in items if i.url is not None]
    encoder = MultipartEncoder(fields=parts)
    callback = (lambda monitor: on_progress(monitor.bytes_read)) if on_progress else None
    return MultipartEncoderMonitor(encoder, callback)


# Framing of one file part in bytes, at most: boundary, headers, the file name
# (escaped: up to 3 bytes per byte) and the closing CRLF; measured 138 + name.
PART_FRAMING = 256
FIELDS_ALLOWANCE = 64 * 1024  # the option fields and the closing boundary


def part_size(item: Input) -> int:
    """The most bytes ``item`` takes in a multipart body."""
    if item.url is not None:
        return PART_FRAMING + len(item.url.encode())
    return PART_FRAMING + 3 * len(item.name.encode()) + item.size


def split_for_batches(inputs: list[Input], max_items: int, max_bytes: int) -> list[list[Input]]:
    """``inputs`` in order, cut into runs of at most ``max_items`` inputs whose multipart body
    (:func:`multipart_body`) stays within ``max_bytes``. A file too large for any request goes
    alone (the server then answers 413 for it)."""
    chunks: list[list[Input]] = []
    chunk: list[Input] = []
    size = FIELDS_ALLOWANCE
    for item in inputs:
        part = part_size(item)
        if chunk and (len(chunk) == max_items or size + part > max_bytes):
            chunks.append(chunk)
            chunk, size = [], FIELDS_ALLOWANCE
        chunk.append(item)
        size += part
    return [*chunks, chunk] if chunk else chunks


def record_of(item: Input, record: dict[str, Any] | None = None) -> dict[str, Any]:
    """The Ximilar record of an input: ``{"_id": name, "_url": URL}`` for a URL, else
    ``{"_id": name}`` (its ``_base64`` is streamed); ``record`` adds the caller's fields."""
    base = {"_id": item.name}
    if item.url is not None:
        base["_url"] = item.url
    return {**base, **(record or {})}


class JsonRecordsBody:
    """A JSON object ``{"records": [...], **fields}`` whose records carry files as ``_base64``.

    A file-like object with ``len`` (bytes left) that ``requests`` streams.
    The text equals ``json.dumps({"records": [{"_id": name, "_base64": b64}...], **fields})``
    with ``ensure_ascii`` (ASCII only, so characters and bytes count the same). ``records``
    are inputs, or ``(record, input)`` pairs whose record fields come first (the input's
    ``_base64``, if it is no URL, is added last); ``query`` is a ``query_record`` likewise.
    """

    def __init__(
        self,
        records: Iterable[Input | tuple[dict[str, Any], Input | None]],
        fields: dict[str, object],
        on_progress: Callable[[int], None] | None = None,
        query: Input | tuple[dict[str, Any], Input | None] | None = None,
    ) -> None:
        self._segments: list[bytes | Any] = [b"{"]
        if query is not None:
            self._segments.append(b'"query_record": ')
            self._add_record(query)
            self._segments.append(b", ")
        self._segments.append(b'"records": [')
        for i, entry in enumerate(records):
            if i:
                self._segments.append(b", ")
            self._add_record(entry)
        tail = "]" + "".join(f", {json.dumps(k)}: {json.dumps(v)}" for k, v in fields.items())
        self._segments.append((tail + "}").encode())
        self.total = sum(_encoded_length(s) for s in self._segments)
        self.sent = 0
        self._pending = b""
        self._index = 0
        self.on_progress = on_progress  # called with the bytes sent so far

    def _add_record(self, entry: Input | tuple[dict[str, Any], Input | None]) -> None:
        record, item = (record_of(entry), entry) if isinstance(entry, Input) else entry
        text = json.dumps(record)
        if item is None or item.url is not None:
            self._segments.append(text.encode())
            return
        head = text[:-1] + (", " if record else "") + '"_base64": "'
        self._segments += [head.encode(), item.stream(), b'"}']

    @property
    def len(self) -> int:
        return self.total - self.sent

    def read(self, amount: int | None = -1) -> bytes:
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
            if not segment.len or not chunk:
                self._index += 1
        data, self._pending = self._pending[:want], self._pending[want:]
        self.sent += len(data)
        if self.on_progress:
            self.on_progress(self.sent)
        return data

    def __iter__(self) -> Iterator[bytes]:  # requests sends an iterable body chunk by chunk
        while chunk := self.read(64 * 1024):
            yield chunk


def _encoded_length(segment: Any) -> int:
    if isinstance(segment, bytes):
        return len(segment)
    return 4 * -(-segment.len // 3)
