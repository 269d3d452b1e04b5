"""Virus scanning through clamd (ClamAV's daemon), with the ``clamdpy`` client.

One scan sends the bytes with ``INSTREAM`` (chunks of :data:`CHUNK_BYTES`, each
prefixed by its length, then a zero length; clamd's protocol, ``man clamd``) and
reads clamd's ``VERSION`` for the engine and database versions. The answer is
``virusScan`` as the API reports it::

    {"scanned": true, "infected": false, "infectedWith": null,
     "engine": "ClamAV 1.4.6", "signatures": 27500, "signaturesDate": "...",
     "scannedAt": "2026-01-01T00:00:00Z"}

A file is never reported clean unless clamd said ``OK`` for all of it:

- larger than ``max_bytes`` (our copy of clamd's ``StreamMaxLength``), or clamd
  answers ``INSTREAM size limit exceeded`` → ``scanned: false, infected: null``
  with a ``reason``;
- clamd unreachable, a connection cut without an answer, a timeout or any other
  clamd ``ERROR`` → :class:`ScanUnavailable` (a ``TransientError``: the job
  retries, then fails ``scan_unavailable``).

clamd answers ``INSTREAM size limit exceeded`` and hangs up as soon as a stream
passes its ``StreamMaxLength``, often while the client is still sending; clamdpy's
``instream`` then raises a bare ``BrokenPipeError`` and the answer is lost. Our
clients (:class:`_UnixClient`, :class:`_TcpClient`) override that one method: the
same chunked protocol, but a hang-up while sending stops the sending and the answer
is read all the same.

``CLAMD_URL`` is ``unix:///path/to/clamd.sock`` or ``tcp://host:port``.
"""

from __future__ import annotations

import io
import re
import socket
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from clamdpy import ClamdNetworkSocket, ClamdUnixSocket
from clamdpy.exceptions import BufferTooLongError, ClamdException
from clamdpy.models import ScanResult

from common.errors import ExifqError, TransientError

CHUNK_BYTES = 256 * 1024
DEFAULT_PORT = 3310
_VERSION = re.compile(r"^(?P<engine>[^/]+?)(?:/(?P<db>\d+)(?:/(?P<date>.+))?)?$")


class ScanUnavailable(TransientError):
    """clamd could not scan the file now (unreachable, cut off, overloaded): retry."""

    code = "scan_unavailable"


class ScanFailed(ExifqError):
    """A scan that cannot happen: no ``CLAMD_URL``, or (``--local``) clamd did not answer."""

    code = "scan_unavailable"
    http_status = 503


class _HangUpSafeInstream:
    """clamdpy's ``instream`` (``man clamd``: INSTREAM), reading clamd's answer even when
    clamd hung up before the whole stream was sent."""

    max_chunk_size: int

    def instream(self, buff: io.BufferedIOBase) -> ScanResult:
        with self._acquire_socket() as sock:  # type: ignore[attr-defined]
            self._send(sock, "INSTREAM")  # type: ignore[attr-defined]
            try:
                while chunk := buff.read(self.max_chunk_size):
                    sock.sendall(struct.pack("!L", len(chunk)) + chunk)
                sock.sendall(struct.pack("!L", 0))
            except (BrokenPipeError, ConnectionResetError):
                pass  # clamd stopped reading: its answer says why (or there is none)
            answer = _answer(sock)
        if "INSTREAM size limit exceeded" in answer:
            raise BufferTooLongError(answer.rsplit("ERROR", 1)[0].strip())
        return ScanResult._from_str(answer, "INSTREAM", stream=True)


def _answer(sock: socket.socket) -> str:
    """clamd's one-line answer. Read up to its newline, not to the end: after a hang-up with
    our data unread the next read fails (``ECONNRESET``), and that must not lose the line."""
    received = b""
    try:
        while not received.endswith(b"\n") and (data := sock.recv(4096)):
            received += data
    except OSError:
        if not received:
            raise
    return received.decode("utf-8", "replace").strip()


class _UnixClient(_HangUpSafeInstream, ClamdUnixSocket):
    pass


class _TcpClient(_HangUpSafeInstream, ClamdNetworkSocket):
    pass


@dataclass(frozen=True)
class Clamd:
    """Where clamd listens and how long to wait for it."""

    url: str
    timeout: float = 30.0
    max_bytes: int = 25 * 1024 * 1024

    def client(self) -> _UnixClient | _TcpClient:
        """A ``clamdpy`` client for :attr:`url` (no connection is made here)."""
        parts = urlsplit(self.url)
        if parts.scheme == "unix" and (parts.path or parts.netloc):
            path = parts.path if not parts.netloc else f"/{parts.netloc}{parts.path}"
            return _UnixClient(path, timeout=self.timeout, max_chunk_size=CHUNK_BYTES)
        if parts.scheme == "tcp" and parts.hostname:
            port = parts.port or DEFAULT_PORT
            return _TcpClient(
                parts.hostname, port, timeout=self.timeout, max_chunk_size=CHUNK_BYTES
            )
        raise ValueError(f"CLAMD_URL must be unix:///path or tcp://host:port, not {self.url!r}")


def parse_version(text: str) -> dict:
    """``ClamAV 1.4.6/27500/Tue Jan  6 09:30:00 2026`` → engine, database version and date.

    The database part is missing when clamd runs on private signatures only.
    """
    match = _VERSION.match(text.strip())
    if match is None:
        return {"engine": text.strip() or None, "signatures": None, "signaturesDate": None}
    db = match["db"]
    return {
        "engine": match["engine"],
        "signatures": int(db) if db else None,
        "signaturesDate": _database_date(match["date"]),
    }


def _database_date(text: str | None) -> str | None:
    if not text:
        return None
    try:
        stamp = datetime.strptime(" ".join(text.split()), "%a %b %d %H:%M:%S %Y")
    except ValueError:
        return text.strip()
    return stamp.isoformat()


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def not_scanned(reason: str, scanned_at: str | None = None) -> dict:
    """The ``virusScan`` of a file clamd did not (fully) scan: never clean."""
    return {
        "scanned": False,
        "infected": None,
        "infectedWith": None,
        "engine": None,
        "signatures": None,
        "signaturesDate": None,
        "scannedAt": scanned_at or _utc_now(),
        "reason": reason,
    }


def scan(data: bytes | Path, clamd: Clamd) -> dict:
    """Scan ``data``: bytes, or a file (a video staged on disk), streamed from it in chunks;
    the ``virusScan`` object, or :class:`ScanUnavailable`."""
    size = data.stat().st_size if isinstance(data, Path) else len(data)
    if size > clamd.max_bytes:
        return not_scanned(f"larger than the scanner's stream limit ({clamd.max_bytes} bytes)")
    client = clamd.client()
    try:
        version = parse_version(client.version(raw=True))
        if isinstance(data, Path):
            with data.open("rb") as stream:
                answer = client.instream(stream)
        else:
            answer = client.instream(io.BytesIO(data))
    except BufferTooLongError:
        return not_scanned("larger than clamd's StreamMaxLength")
    except (ClamdException, OSError) as exc:  # OSError: a timeout, a reset while reading
        raise ScanUnavailable(f"clamd at {clamd.url} did not scan the file: {_say(exc)}") from exc
    if answer.status == "FOUND":
        infected, name = True, answer.reason
    elif answer.status == "OK":
        infected, name = False, None
    else:
        raise ScanUnavailable(f"clamd at {clamd.url} answered: {answer.reason} ERROR")
    scanned_at = _utc_now()
    return {"scanned": True, "infected": infected, "infectedWith": name, **version,
            "scannedAt": scanned_at}  # fmt: skip


def _say(exc: BaseException) -> str:
    """clamdpy's exceptions keep their text in attributes, not in ``args``."""
    for attr in ("msg", "error"):
        text = getattr(exc, attr, None)
        if text:
            return str(text)
    return str(exc) or type(exc).__name__
