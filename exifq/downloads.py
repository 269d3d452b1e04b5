"""Downloads of cleaned files: streamed to a path (through ``.NAME.part``) or a file object.

The API answers ``GET /download-cleaned/{uuid}`` with the file, or with a
redirect to a short-lived presigned storage URL. A redirect to another origin
is followed without the client's headers, so the API key never reaches the
storage (``requests`` would send a custom header such as ``X-API-Key`` along).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO
from urllib.parse import urljoin, urlsplit

import requests

from exifq.errors import from_answer
from exifq.transport import CONNECT_TIMEOUT, READ_TIMEOUT, Transport

CHUNK = 256 * 1024


def open_download(transport: Transport, path: str) -> requests.Response:
    """A streamed GET of a download, following one redirect as the module says."""
    answer = transport.request("GET", path, stream=True, reconnect=True, allow_redirects=False)
    if not answer.is_redirect:
        return answer
    first = transport.url(path)
    location = urljoin(first, answer.headers["Location"])
    answer.close()
    if urlsplit(location)[:2] == urlsplit(first)[:2]:
        return transport.request("GET", location, stream=True, reconnect=True)
    try:
        moved = requests.get(location, stream=True, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
    except requests.RequestException as exc:
        raise transport.unreachable(exc) from exc
    if moved.status_code >= 400:
        moved.close()
        raise from_answer(moved.status_code, {"error": f"download: HTTP {moved.status_code}"})
    return moved


def save(transport: Transport, path: str, out: str | os.PathLike[str] | IO[bytes]) -> None:
    """Stream the download at ``path`` into ``out``; a path exists only complete."""
    with open_download(transport, path) as answer:
        if not isinstance(out, str | os.PathLike):
            for chunk in answer.iter_content(CHUNK):
                out.write(chunk)
            return
        target = Path(out)
        partial = target.with_name(f".{target.name}.part")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with partial.open("wb") as file:
                for chunk in answer.iter_content(CHUNK):
                    file.write(chunk)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
