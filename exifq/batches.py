"""Batches: many inputs sent as one ``POST /api/v1/batch`` (or a few), results as they finish.

A run larger than the server takes in one request (``GET /api/v1/limits``:
items and bytes per batch) goes as consecutive batches, each as full as the
limits allow (:func:`exifq.streams.split_for_batches`). Every upload is
streamed (:func:`exifq.streams.multipart_body`).

Results as they complete (:func:`finished_items`): the batch's item states are
read a page at a time from the lowest item not yet given out (a poll costs
the server three Redis commands, and ``?wait=2`` paces it), and only the span
of items newly finished is read again with their results. Jobs are taken
from the queue in order, so that span stays small; every item is given out
exactly once, roughly in the order it finished.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from exifq.errors import JobFailed, NotFound, TimedOut
from exifq.jobs import MAX_WAIT, RUNNING, follow, remaining, wait_seconds
from exifq.sources import Input
from exifq.streams import multipart_body, split_for_batches
from exifq.transport import READ_TIMEOUT, Transport

PAGE = 1000  # the API's largest page of items
POLL_WAIT = 2.0  # seconds a progress poll may block: the pace of results and progress bars
UPLOAD_READ_TIMEOUT = 600.0  # the server stores every upload of a batch before it answers


@dataclass(frozen=True)
class BatchItem:
    """One (input, operation) of a batch once finished: its result or its error."""

    batch: str  # the batch's UUID
    index: int  # its place in the batch, in submission order
    name: str  # the input's name (a file's name, or the URL)
    op: str
    uuid: str  # its own job's UUID (``GET /api/v1/{op}/{uuid}``)
    status: str  # completed or failed
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None  # {"code", "message"} when failed
    download_url: str | None = None  # a cleaned file (remove)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)  # the API's item

    @property
    def ok(self) -> bool:
        return self.status == "completed"

    def raise_for_error(self) -> None:
        """Raise :class:`~exifq.errors.JobFailed` if the item failed."""
        if not self.ok:
            error = self.error or {}
            code = str(error.get("code") or "failed")
            message = str(error.get("message") or "the item did not complete")
            raise JobFailed(code, message, body=self.raw)

    @classmethod
    def from_api(cls, batch: str, item: dict[str, Any]) -> BatchItem:
        return cls(
            batch=batch,
            index=int(item.get("index", -1)),
            name=str(item.get("name", "")),
            op=str(item.get("op", "")),
            uuid=str(item.get("uuid", "")),
            status=str(item.get("status", "")),
            result=item.get("result"),
            error=item.get("error"),
            download_url=item.get("downloadUrl"),
            raw=item,
        )


def server_limits(transport: Transport) -> tuple[int, int]:
    """Items per batch and bytes per request the server takes; no limit from a server
    that does not say. A rate limit (``rateLimits``: a batch of N jobs costs N requests)
    caps the items too, at its smallest ``amount``."""
    try:
        limits = transport.json("GET", "/api/v1/limits")
    except NotFound:
        return sys.maxsize, sys.maxsize
    items, size = limits.get("maxBatchItems"), limits.get("maxBatchBytes")
    rates = [int(rate["amount"]) for rate in limits.get("rateLimits") or [] if rate.get("amount")]
    return min([int(items or sys.maxsize), *rates]), int(size or sys.maxsize)


def submit(
    transport: Transport,
    inputs: list[Input],
    fields: dict[str, str],
    on_progress: Callable[[int], None] | None = None,
    on_body: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """POST one batch (``fields`` holds ``operations`` and the options); the accepted body
    (``uuid``, ``statusUrl``). ``on_body`` hears each attempt's body length, ``on_progress``
    the bytes sent so far."""

    def body() -> tuple[Any, str]:
        encoded = multipart_body(inputs, fields, on_progress)
        if on_body is not None:
            on_body(encoded.len)
        return encoded, encoded.content_type

    return transport.json("POST", "/api/v1/batch", body=body, read_timeout=UPLOAD_READ_TIMEOUT)


def split(transport: Transport, inputs: list[Input]) -> list[list[Input]]:
    """``inputs`` in as few consecutive batches as the server's limits allow."""
    return split_for_batches(inputs, *server_limits(transport))


def status(transport: Transport, batch_id: str, **params: Any) -> dict[str, Any]:
    """``GET /api/v1/batch/{uuid}`` with ``wait``, ``include``, ``offset``, ``limit``."""
    wait = float(params.get("wait", 0) or 0)
    return transport.json(
        "GET",
        f"/api/v1/batch/{batch_id}",
        params=params,
        read_timeout=wait + READ_TIMEOUT,
        reconnect=True,
    )


def watch(
    transport: Transport,
    batch_id: str,
    *,
    deadline: float | None = None,
    on_status: Callable[[dict[str, Any]], None] | None = None,
    poll_wait: float = POLL_WAIT,
) -> dict[str, Any]:
    """Follow a batch's counts to its end (``limit=1``: no item pages); the last body."""
    return follow(
        transport,
        f"/api/v1/batch/{batch_id}",
        deadline=deadline,
        what=f"batch {batch_id}",
        on_status=on_status,
        poll_wait=poll_wait,
        params={"limit": 1},
    )


def pages(transport: Transport, batch_id: str) -> Iterator[list[dict[str, Any]]]:
    """The batch's items with results, page by page, in submission order."""
    offset: int | None = 0
    while offset is not None:
        page = status(transport, batch_id, include="results", offset=offset, limit=PAGE)
        yield page.get("items") or []
        offset = page.get("nextOffset")


def finished_items(
    transport: Transport,
    batch_id: str,
    *,
    deadline: float | None = None,
    poll_wait: float = POLL_WAIT,
) -> Iterator[BatchItem]:
    """Every item of the batch, each once as soon as it is seen finished, with its result."""
    given: set[int] = set()
    low, total = 0, None
    while total is None or low < total:
        if remaining(deadline) <= 0:
            raise TimedOut(f"batch {batch_id} did not finish in the time allowed")
        wait = min(wait_seconds(deadline, MAX_WAIT), poll_wait)
        body = status(transport, batch_id, wait=f"{wait:g}", offset=low, limit=PAGE)
        total = int(body.get("total") or 0)
        items = body.get("items") or []
        if not items:
            return  # nothing at or after ``low``: the batch holds fewer items than it counts
        fresh = {
            int(item["index"])
            for item in items
            if item.get("status") not in RUNNING and int(item["index"]) not in given
        }
        if fresh:
            first, last = min(fresh), max(fresh)
            span = status(
                transport, batch_id, include="results", offset=first, limit=last - first + 1
            )
            for item in span.get("items") or []:
                if int(item["index"]) in fresh:
                    given.add(int(item["index"]))
                    yield BatchItem.from_api(batch_id, item)
        while low in given:
            low += 1


class BatchRun:
    """The batches of one :meth:`exifq.Client.batch` call: their UUIDs (``ids``, to come back
    to them with :meth:`exifq.Client.batch_results`) and an iterator of
    :class:`BatchItem` as they finish, batch after batch."""

    def __init__(
        self, transport: Transport, ids: list[str], deadline: float | None, poll_wait: float
    ) -> None:
        self.ids = ids
        self._items = self._all(transport, deadline, poll_wait)

    def _all(
        self, transport: Transport, deadline: float | None, poll_wait: float
    ) -> Iterator[BatchItem]:
        for batch_id in self.ids:
            yield from finished_items(transport, batch_id, deadline=deadline, poll_wait=poll_wait)

    def __iter__(self) -> Iterator[BatchItem]:
        return self

    def __next__(self) -> BatchItem:
        return next(self._items)
