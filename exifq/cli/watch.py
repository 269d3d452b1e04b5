"""Follow a batch or similarity job with ``?wait=`` long polls until it is done.

A poll that cannot reach the server, or gets a 5xx, is retried with backoff
(``RETRIES`` times in a row) so a restarting API does not end a long watch;
any other HTTP error ends it with :class:`WatchError`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import requests

from common.status import PROCESSING, QUEUED
from exifq.cli.client import error_text

RETRIES = 6  # in a row: 1 + 2 + 4 + 8 + 16 + 30 s of backoff
RUNNING = (QUEUED, PROCESSING)


class WatchError(Exception):
    """The server refused to tell the status (404: unknown or expired UUID, 401, ...)."""

    def __init__(self, http_status: int, body: dict) -> None:
        super().__init__(f"HTTP {http_status}: {error_text(body)}")
        self.http_status, self.body = http_status, body


def finished(body: dict) -> bool:
    return body.get("status") not in RUNNING


def follow(
    poll: Callable[[], tuple[int, dict]],
    on_status: Callable[[dict], None],
    sleep: Callable[[float], None] = time.sleep,
    until: Callable[[dict], bool] = finished,
) -> dict:
    """Call ``poll`` (a long poll answering ``(http_status, body)``) until ``until(body)``, by
    default until ``body["status"]`` is no longer queued/processing; ``on_status`` sees every
    body. The last body."""
    failures = 0
    while True:
        try:
            code, body = poll()
        except requests.RequestException:
            code, body = 0, {}
        if code == 0 or code >= 500:
            failures += 1
            if failures > RETRIES:
                if code == 0:
                    raise requests.ConnectionError("the server stopped answering")
                raise WatchError(code, body)
            sleep(min(2 ** (failures - 1), 30))
            continue
        if code >= 400:
            raise WatchError(code, body)
        failures = 0
        on_status(body)
        if until(body):
            return body
