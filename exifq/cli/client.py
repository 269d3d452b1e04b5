"""The HTTP side of the client commands: one server (``EXIFQ_URL``), one key (``EXIFQ_API_KEY``).

Every call answers the server's JSON body; a transport failure raises
``requests.RequestException`` (an ``OSError``), and an HTTP error without a
JSON body becomes ``{"success": false, "error": "HTTP 502: not JSON"}``.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import requests

POLL_WAIT = 2  # seconds a status request may block on the server: the progress bar's pace
TIMEOUT = (5, 60)  # connect, read (a read covers a long poll or a large upload's answer)
UPLOAD_TIMEOUT = (5, 600)


class Client:
    """One server, one API key; a ``requests`` session per thread (downloads run in threads)."""

    def __init__(self, base_url: str, api_key: str | None) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"X-API-Key": api_key} if api_key else {}
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
            self._local.session.headers.update(self.headers)
        return self._local.session

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def post(self, path: str, body, content_type: str) -> tuple[int, dict]:
        """POST a streamed ``body``; the HTTP status and the JSON answer."""
        answer = self.session.post(
            self.url(path),
            data=body,
            headers={"Content-Type": content_type},
            timeout=UPLOAD_TIMEOUT,
        )
        return answer.status_code, json_body(answer)

    def get(self, path: str, **params: object) -> tuple[int, dict]:
        answer = self.session.get(self.url(path), params=params, timeout=TIMEOUT)
        return answer.status_code, json_body(answer)

    def batch(self, batch_id: str, **params: object) -> tuple[int, dict]:
        """``GET /api/v1/batch/{uuid}`` with ``wait``, ``include``, ``offset``, ``limit``."""
        return self.get(f"/api/v1/batch/{batch_id}", **params)

    def download(self, url_path: str, target: Path) -> None:
        """Stream ``url_path`` into ``target`` through a temporary file beside it, so ``target``
        exists only complete (an interrupted download leaves no half file under its name)."""
        partial = target.with_name(f".{target.name}.part")
        with self.session.get(self.url(url_path), stream=True, timeout=TIMEOUT) as answer:
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
