"""The HTTP side of the client commands: one server (``EXIFQ_URL``), one key (``EXIFQ_API_KEY``).

Every call answers the server's JSON body; a transport failure raises
``requests.RequestException`` (an ``OSError``), and an HTTP error without a
JSON body becomes ``{"success": false, "error": "HTTP 502: not JSON"}``.
A ``429`` (rate limited) is asked again after the server's ``Retry-After``
(``exifq.backoff``), for up to 15 minutes in all, saying so on stderr; a POST
only when its body can be made again (a callable that makes it). A download
that redirects elsewhere (a presigned S3 URL) is followed without the API key.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from exifq.backoff import MAX_TOTAL_WAIT, retry_delay

POLL_WAIT = 2  # seconds a status request may block on the server: the progress bar's pace
TIMEOUT = (5, 60)  # connect, read (a read covers a long poll or a large upload's answer)
UPLOAD_TIMEOUT = (5, 600)


class Client:
    """One server, one API key; a ``requests`` session per thread (downloads run in threads)."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = MAX_TOTAL_WAIT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"X-API-Key": api_key} if api_key else {}
        self._local = threading.local()
        self.sleep = sleep
        self.max_wait = max_wait

    def _patiently(self, send: Callable[[], requests.Response]) -> requests.Response:
        """``send()`` again after each 429, waiting as the server says, up to ``max_wait``."""
        waited, attempt = 0.0, 0
        while True:
            answer = send()
            if answer.status_code != 429:
                return answer
            delay = retry_delay(answer.headers.get("Retry-After"), attempt, time.time())
            if waited + delay > self.max_wait:
                return answer
            answer.close()
            print(f"exifq: rate limited; asking again in {delay:.0f} s", file=sys.stderr)
            self.sleep(delay)
            waited, attempt = waited + delay, attempt + 1

    @property
    def session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
            self._local.session.headers.update(self.headers)
        return self._local.session

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def post(self, path: str, body, content_type: str | None = None) -> tuple[int, dict]:
        """POST a streamed ``body`` (or what a callable ``body`` makes, afresh for each
        attempt); the HTTP status and the JSON answer. The content type is ``content_type``
        or the body's own (``content_type`` attribute)."""

        def send() -> requests.Response:
            data = body() if callable(body) else body
            kind = content_type or data.content_type
            return self.session.post(
                self.url(path), data=data, headers={"Content-Type": kind}, timeout=UPLOAD_TIMEOUT
            )

        answer = self._patiently(send) if callable(body) or isinstance(body, bytes) else send()
        return answer.status_code, json_body(answer)

    def get(self, path: str, **params: object) -> tuple[int, dict]:
        answer = self._patiently(
            lambda: self.session.get(self.url(path), params=params, timeout=TIMEOUT)
        )
        return answer.status_code, json_body(answer)

    def batch(self, batch_id: str, **params: object) -> tuple[int, dict]:
        """``GET /api/v1/batch/{uuid}`` with ``wait``, ``include``, ``offset``, ``limit``."""
        return self.get(f"/api/v1/batch/{batch_id}", **params)

    def download(self, url_path: str, target: Path) -> None:
        """Stream ``url_path`` into ``target`` through a temporary file beside it, so ``target``
        exists only complete (an interrupted download leaves no half file under its name)."""
        partial = target.with_name(f".{target.name}.part")
        with self._open(self.url(url_path)) as answer:
            if answer.status_code != 200:
                error = json_body(answer).get("error", answer.reason)
                raise requests.HTTPError(f"download {url_path}: HTTP {answer.status_code}: {error}")
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with partial.open("wb") as out:
                    for chunk in answer.iter_content(256 * 1024):
                        out.write(chunk)
                os.replace(partial, target)
            finally:
                partial.unlink(missing_ok=True)

    def _open(self, url: str) -> requests.Response:
        """A streamed GET of ``url``; a redirect to another origin (a presigned URL) is followed
        without this client's headers (requests would send the API key along)."""
        answer = self._patiently(
            lambda: self.session.get(url, stream=True, timeout=TIMEOUT, allow_redirects=False)
        )
        if not answer.is_redirect:
            return answer
        location = urljoin(url, answer.headers["Location"])
        answer.close()
        if urlsplit(location)[:2] == urlsplit(url)[:2]:
            return self.session.get(location, stream=True, timeout=TIMEOUT)
        return requests.get(location, stream=True, timeout=TIMEOUT)


def json_body(answer: requests.Response) -> dict:
    """The answer's JSON object, or an error body naming the HTTP status."""
    try:
        body = answer.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {"success": False, "error": f"HTTP {answer.status_code}: not a JSON object"}
    return body


def error_text(body: dict) -> str:
    """The message of an API error body: ``{"error": "..."}`` or ``{"error": {"message"}}``."""
    error = body.get("error", "unknown error")
    if isinstance(error, dict):
        return str(error.get("message") or error.get("code") or error)
    return str(error)
