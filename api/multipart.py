"""Multipart form parsing without compiling regular expressions per request.

Werkzeug's ``MultipartDecoder`` compiles two regular expressions around each
request's boundary (about 0.3 ms a request here, a third of parsing a small
upload). :class:`Decoder` is that decoder with the two boundary searches done
by ``bytes.find`` plus one expression compiled once, matching exactly what
Werkzeug's expressions match; :class:`FormDataParser` drives it as Werkzeug's
``MultiPartParser`` does (same limits, same fields and ``FileStorage`` files),
and :class:`Request` is Flask's request with that parser (``api.create_app``).

:func:`parts` drives the same decoder over a request's stream and yields each part as soon
as it has arrived (``POST /api/v1/batch`` starts a batch's items while the rest of the body
is still coming: ``api.batch_stream``). A file is spooled as Werkzeug's default stream
factory spools it (memory, then a temporary file past 500 kB) and never kept beyond
``max_file_bytes + 1`` bytes: what follows is read and dropped, so an oversized file is
one refused input (its size says so), not a failed request. The request's limits hold as
they do for ``request.form``: parts (413), one field's bytes (413), the body's length.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from flask import Request as FlaskRequest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import BadRequest, ClientDisconnected, HTTPException, RequestEntityTooLarge
from werkzeug.formparser import FormDataParser as WerkzeugFormDataParser
from werkzeug.formparser import MultiPartParser
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, NeedData
from werkzeug.sansio.multipart import MultipartDecoder as WerkzeugDecoder

# What follows ``--boundary``: the closing ``--`` (then optional spaces and line break), or
# optional spaces and a line break (Werkzeug's group 1; "spaces" are [^\S\n\r]).
_TAIL = re.compile(rb"(--[^\S\n\r]*(?:\r\n|\n|\r)?|[^\S\n\r]*(?:\r\n|\n|\r))")
_PLACEHOLDER = b"exifq-boundary"  # Werkzeug compiles its expressions for this once (re's cache)
SPOOL_BYTES = 500 * 1024  # a file part stays in memory up to this size (as Werkzeug's)
READ_BYTES = 64 * 1024  # read from the request's stream at a time (Werkzeug's buffer size)


class _Match:
    __slots__ = ("_end", "_start", "_tail")

    def __init__(self, start: int, end: int, tail: bytes) -> None:
        self._start, self._end, self._tail = start, end, tail

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end

    def group(self, index: int) -> bytes:
        assert index == 1
        return self._tail


class _BoundarySearch:
    """``search(buffer, pos)`` for a line break, ``--boundary`` and its tail, as Werkzeug's
    ``boundary_re`` (line break required) or ``preamble_re`` (line break optional) does."""

    def __init__(self, boundary: bytes, line_break_required: bool) -> None:
        self.marker = b"--" + boundary
        self.required = line_break_required

    def search(self, buffer: bytes | bytearray, pos: int = 0) -> _Match | None:
        found = buffer.find(self.marker, pos)
        while found >= 0:
            tail = _TAIL.match(buffer, found + len(self.marker))
            start = _line_break_start(buffer, found, pos)
            if tail is not None and (start is not None or not self.required):
                return _Match(found if start is None else start, tail.end(), tail.group(1))
            found = buffer.find(self.marker, found + 1)
        return None


def _line_break_start(buffer: bytes | bytearray, at: int, pos: int) -> int | None:
    """Where the line break just before ``at`` starts (``\\r\\n``, ``\\n`` or ``\\r``; not
    before ``pos``), or ``None``."""
    if at - 2 >= pos and buffer[at - 2 : at] == b"\r\n":
        return at - 2
    if at - 1 >= pos and buffer[at - 1 : at] in (b"\n", b"\r"):
        return at - 1
    return None


class Decoder(WerkzeugDecoder):
    """Werkzeug's decoder with boundary searches that compile nothing per request."""

    def __init__(
        self,
        boundary: bytes,
        max_form_memory_size: int | None = None,
        *,
        max_parts: int | None = None,
    ) -> None:
        super().__init__(_PLACEHOLDER, max_form_memory_size, max_parts=max_parts)
        self.boundary = boundary
        self.preamble_re = _BoundarySearch(boundary, line_break_required=False)
        self.boundary_re = _BoundarySearch(boundary, line_break_required=True)


class _Parser(MultiPartParser):
    def parse(
        self, stream: IO[bytes], boundary: bytes, content_length: int | None
    ) -> tuple[MultiDict, MultiDict]:
        """Fields and files of the body, as ``MultiPartParser.parse`` gives them."""
        decoder = Decoder(
            boundary, max_form_memory_size=self.max_form_memory_size, max_parts=self.max_form_parts
        )
        fields: list[tuple[str, str]] = []
        files: list[tuple[str, FileStorage]] = []
        part: Any = None
        size: int | None = None
        container: Any = None
        while True:
            data = stream.read(self.buffer_size)
            decoder.receive_data(data or None)
            event = decoder.next_event()
            while not isinstance(event, Epilogue | NeedData):
                if isinstance(event, Field):
                    part, size, container = event, 0, []
                elif isinstance(event, File):
                    part, size = event, None
                    container = self.start_file_streaming(event, content_length)
                elif isinstance(event, Data):
                    size = self._collect(part, size, container, event)
                    if not event.more_data:
                        self._finish_part(part, container, fields, files)
                event = decoder.next_event()
            if not data:
                return self.cls(fields), self.cls(files)

    def _collect(self, part: Any, size: int | None, container: Any, event: Data) -> int | None:
        if isinstance(part, Field):
            size = (size or 0) + len(event.data)
            if self.max_form_memory_size is not None and size > self.max_form_memory_size:
                raise RequestEntityTooLarge()
            container.append(event.data)
        else:
            container.write(event.data)
        return size

    def _finish_part(self, part: Any, container: Any, fields: list, files: list) -> None:
        if isinstance(part, Field):
            charset = self.get_part_charset(part.headers)
            fields.append((part.name, b"".join(container).decode(charset, "replace")))
            return
        container.seek(0)
        files.append(
            (part.name, FileStorage(container, part.filename, part.name, headers=part.headers))
        )


class FormDataParser(WerkzeugFormDataParser):
    def _parse_multipart(self, stream, mimetype, content_length, options):
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        parser = _Parser(
            stream_factory=self.stream_factory,
            max_form_memory_size=self.max_form_memory_size,
            max_form_parts=self.max_form_parts,
            cls=self.cls,
        )
        form, files = parser.parse(stream, boundary, content_length)
        return stream, form, files


class Request(FlaskRequest):
    """Flask's request, its multipart bodies parsed by :class:`FormDataParser`."""

    form_data_parser_class = FormDataParser


@dataclass(frozen=True)
class FieldPart:
    """A form field: its name (``None`` when the part had none) and its text."""

    name: str | None
    value: str


@dataclass(frozen=True)
class FilePart:
    """A file part, its data spooled (positioned at byte 0; see :func:`parts` for the bound)."""

    name: str | None
    filename: str
    stream: IO[bytes]


# A field's charset as Werkzeug's parser decides it (a safe one named by its Content-Type,
# else UTF-8); the method reads nothing of its parser.
_PART_CHARSET = MultiPartParser().get_part_charset


def parts(
    stream: IO[bytes],
    boundary: bytes,
    *,
    max_form_memory_size: int | None,
    max_parts: int | None,
    max_file_bytes: int,
) -> Iterator[FieldPart | FilePart]:
    """Each part of a multipart body as soon as it has arrived, in order. A body that ends
    before its closing boundary (or is not multipart) is a 400; too many parts or too large a
    field a 413; the stream's own errors (a client gone: 400; past the length limit: 413) pass
    through."""
    decoder = Decoder(boundary, max_form_memory_size, max_parts=max_parts)
    part: Any = None
    chunks: list[bytes] = []
    size = 0
    while True:
        data = _read(stream)
        decoder.receive_data(data or None)
        event = _next_event(decoder)
        while not isinstance(event, Epilogue | NeedData):
            if isinstance(event, Field | File):
                part, size = event, 0
                chunks = [] if isinstance(event, Field) else _spool()
            elif isinstance(event, Data):
                size = _collect(
                    part, chunks, size, event.data, max_form_memory_size, max_file_bytes
                )
                if not event.more_data:
                    yield _finished(part, chunks)
            event = _next_event(decoder)
        if isinstance(event, Epilogue):
            return


def _read(stream: IO[bytes]) -> bytes:
    """The body's next bytes. The server's own reading errors (the connection dropped, broken
    chunked framing) are the client's: a 400, as Werkzeug's for a body cut short."""
    try:
        return stream.read(READ_BYTES)
    except HTTPException:
        raise
    except Exception as exc:  # gunicorn's NoMoreData (an OSError), its ParseExceptions, ...
        raise ClientDisconnected(f"the request body could not be read: {exc!r}") from None


def _spool() -> IO[bytes]:
    """Where a file part's data goes (closed by whoever takes the part)."""
    return tempfile.SpooledTemporaryFile(SPOOL_BYTES)


def _next_event(decoder: Decoder) -> Any:
    try:
        return decoder.next_event()
    except ValueError as exc:  # the body ended early, or a part without Content-Disposition
        raise BadRequest(f"malformed or truncated multipart body ({exc})") from None


def _collect(
    part: Any, chunks: Any, size: int, data: bytes, max_field: int | None, max_file: int
) -> int:
    """Keep ``data`` of ``part``; the part's size so far."""
    size += len(data)
    if isinstance(part, Field):
        if max_field is not None and size > max_field:
            raise RequestEntityTooLarge()
        chunks.append(data)
    elif size - len(data) <= max_file:  # past max_file + 1 bytes: dropped
        chunks.write(data[: max_file + 1 - (size - len(data))])
    return size


def _finished(part: Any, chunks: Any) -> FieldPart | FilePart:
    if isinstance(part, Field):
        return FieldPart(part.name, b"".join(chunks).decode(_PART_CHARSET(part.headers), "replace"))
    chunks.seek(0)
    return FilePart(part.name, part.filename, chunks)
