"""The Python client of an exifq server: ``from exifq import Client``.

::

    from exifq import Client, JobFailed

    client = Client("http://127.0.0.1:8000", api_key=None)
    meta = client.extract("photo.jpg")                  # a path, bytes, a file, or a URL
    report = client.strip("photo.jpg", out="clean.jpg")  # what was removed; the file saved
    phash = client.hash(b"...", types="phash")["hashes"]["phash"]
    for item in client.batch(["a.jpg", "b.png"], "hash"):   # as they finish
        print(item.name, item.result if item.ok else item.error)

Each call submits with ``?wait=`` (the API holds the request up to 30 s),
then follows the job with long polls until it is done; ``429`` and ``503``
are retried after their ``Retry-After``; every failure is an
:class:`exifq.errors.ExifqError` carrying the API's code and message
(``docs/client.md``). Options are checked before sending by the same
declarations the server uses (``common.operations``). Uploads are streamed:
a file is never read into memory whole.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from exifq import batches, downloads
from exifq.errors import BadRequest, NotFound, TooLarge, job_failure
from exifq.jobs import (
    MAX_WAIT,
    checked_batch_options,
    checked_options,
    deadline_of,
    follow,
    form_fields,
    job_finished,
    operation_name,
    wait_seconds,
)
from exifq.sources import Input, Source, to_input
from exifq.streams import JsonRecordsBody, multipart_body
from exifq.transport import READ_TIMEOUT, Transport, json_body

DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT = 600.0
SIMILARITY_KINDS = ("visual_hash", "remove_duplicates", "rank_images")
Record = Source | Input | Mapping[str, Any]


class Client:
    """One exifq server (``base_url``) and, when the server has keys, one ``api_key``.

    ``timeout`` bounds each call from submission to result (``None``: no bound);
    ``retries`` is how often a ``429``/``502``/``503``/``504`` answer, or a lost
    connection while following a job, is tried again. Safe to share between threads.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        api_key: str | None = None,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        retries: int = 5,
    ) -> None:
        self.transport = Transport(base_url, api_key, retries=retries)
        self.timeout = timeout
        self._limits: dict | None = None  # GET /api/v1/limits, read once

    @property
    def base_url(self) -> str:
        return self.transport.base_url

    def __repr__(self) -> str:
        return f"Client({self.base_url!r})"

    # ------------------------------------------------------------ one job

    def extract(self, source: Source, *, name: str | None = None, **options: Any) -> dict:
        """The metadata of one image: ``{"fileName", "metadata": {...}, "uuid", ...}``.

        >>> client.extract("photo.jpg", pixels=False)["metadata"]["exif"]["Make"]  # doctest: +SKIP
        """
        return self.run("extract", source, name=name, **options)

    def strip(
        self,
        source: Source,
        *,
        out: str | os.PathLike[str] | IO[bytes] | None = None,
        name: str | None = None,
        **options: Any,
    ) -> dict:
        """Remove the metadata of one image; the report (``removed``, ``bytesBefore``...,
        ``downloadUrl``). With ``out`` (a path, a directory, or a binary file object) the
        cleaned file is downloaded there too and ``"output"`` says where.
        Options: ``keep``, ``drop`` (``icc``, ``orientation``, ``copyright``)."""
        body = self.run("remove", source, name=name, **options)
        if out is not None:
            target = out
            if isinstance(out, str | os.PathLike) and Path(out).is_dir():
                target = Path(out) / Path(body.get("fileName") or name or "cleaned").name
            self.download(body, target)
            if isinstance(target, str | os.PathLike):
                body["output"] = os.fspath(target)
        return body

    def hash(self, source: Source, *, name: str | None = None, **options: Any) -> dict:
        """Hashes of one image: ``{"hashes": {"phash": "...", ...}, "width", "height"}``.
        Options: ``types`` (``phash,dhash,ahash,whash,bmh0,bmh1,md5,sha256``), ``fast``."""
        return self.run("hash", source, name=name, **options)

    def run(
        self,
        operation: str,
        source: Source,
        *,
        name: str | None = None,
        timeout: float | None = None,
        **options: Any,
    ) -> dict:
        """Run any operation (a plug-in's too) on one input and wait for its result: the
        completed job's body. ``JobFailed`` if the job failed."""
        deadline = deadline_of(self._timeout(timeout))
        body = self.submit(operation, source, name=name, wait=wait_seconds(deadline), **options)
        if not job_finished(body):
            body = follow(
                self.transport, body["statusUrl"], deadline=deadline, what=f"job {body['uuid']}"
            )
        if body.get("status") != "completed":
            raise job_failure(body)
        return body

    def submit(
        self,
        operation: str,
        source: Source,
        *,
        name: str | None = None,
        wait: float = 0.0,
        **options: Any,
    ) -> dict:
        """Submit one job without waiting beyond ``wait`` seconds (at most 30); the API's
        answer: ``{"uuid", "status", "statusUrl"}``, or the finished job. Follow it with
        :meth:`result`."""
        op = operation_name(operation)
        values = checked_options(op, options)
        item = to_input(source, name)
        limit = self._upload_limit() if item.url is None else None
        if limit is not None and item.size > limit:
            raise TooLarge(
                f"{item.name}: {item.size:,} bytes, more than the server takes "
                f"(limit {limit} bytes): not sent"
            )
        params = {"wait": f"{min(wait, MAX_WAIT):g}"} if wait else None
        read_timeout = min(wait, MAX_WAIT) + READ_TIMEOUT
        if item.url is not None:
            return self.transport.json(
                "POST",
                f"/api/v1/{op}",
                json={"url": item.url, **values},
                params=params,
                read_timeout=read_timeout,
            )

        def body() -> tuple[Any, str]:
            encoded = multipart_body([item], form_fields(values))
            return encoded, encoded.content_type

        return self.transport.json(
            "POST", f"/api/v1/{op}", body=body, params=params, read_timeout=read_timeout
        )

    def result(self, job: Mapping[str, Any] | str, *, timeout: float | None = None) -> dict:
        """The finished body of a job (its submission answer, or its status URL), waiting for
        it; ``JobFailed`` if it failed."""
        path = job if isinstance(job, str) else str(job["statusUrl"])
        deadline = deadline_of(self._timeout(timeout))
        body = follow(self.transport, path, deadline=deadline, what=path)
        if body.get("status") != "completed":
            raise job_failure(body)
        return body

    def download(
        self, job: Mapping[str, Any] | str, out: str | os.PathLike[str] | IO[bytes]
    ) -> None:
        """Save a job's cleaned file (its body, or its ``downloadUrl``) to ``out``: a path is
        written through ``.NAME.part`` beside it, so it exists only complete."""
        url = job if isinstance(job, str) else job.get("downloadUrl")
        if not url:
            raise BadRequest("this job has no file to download (no downloadUrl)")
        downloads.save(self.transport, str(url), out)

    # ------------------------------------------------------------ many jobs

    def batch(
        self,
        sources: Iterable[Source | Input],
        operations: str | Iterable[str] = "extract",
        *,
        timeout: float | None = None,
        **options: Any,
    ) -> batches.BatchRun:
        """Send many inputs as one batch (or as few as the server's limits allow) and iterate
        over their :class:`~exifq.batches.BatchItem` as they finish; a failed item is
        yielded too (``item.ok`` is false, ``item.error`` says why). ``operations``: one or
        several (``"extract,hash"``); options go to every operation that has them.
        The batches are sent before this returns; ``.ids`` holds their UUIDs."""
        names = operations.split(",") if isinstance(operations, str) else list(operations)
        ops, values = checked_batch_options((n.strip() for n in names if n.strip()), options)
        inputs = [to_input(source) for source in sources]
        if not inputs:
            raise BadRequest("a batch needs at least one input")
        fields = {"operations": ",".join(ops), **form_fields(values)}
        ids = []
        for chunk in batches.split(self.transport, inputs):
            ids.append(str(batches.submit(self.transport, chunk, fields)["uuid"]))
        return self.batch_results(ids, timeout=timeout)

    def batch_results(
        self, ids: str | Iterable[str], *, timeout: float | None = None
    ) -> batches.BatchRun:
        """Iterate over the items of batches already sent (their UUIDs) as they finish."""
        ids = [ids] if isinstance(ids, str) else list(ids)
        deadline = deadline_of(self._timeout(timeout))
        return batches.BatchRun(self.transport, ids, deadline, batches.POLL_WAIT)

    # ------------------------------------------------------------ similarity

    def distance(self, a: str, b: str) -> dict:
        """Hamming distance and similarity of two hashes (hex or bit strings of one length):
        ``{"distance": 3, "similarity": 0.953125, ...}``."""
        return self.transport.json("GET", "/api/v1/hash/distance", params={"a": a, "b": b})

    def visual_hash(
        self, images: Iterable[Record], *, hash_type: str = "phash", timeout: float | None = None
    ) -> dict:
        """Ximilar's ``visual_hash``: every record with its ``_hash`` (a bit string)."""
        return self._similarity("visual_hash", images, {"hash_type": hash_type}, None, timeout)

    def remove_duplicates(
        self,
        images: Iterable[Record],
        *,
        hash_type: str = "phash",
        range: int | None = None,
        timeout: float | None = None,
    ) -> dict:
        """Ximilar's ``remove_duplicates``: ``records`` kept, each with the
        ``removed_records`` within ``range`` bits of it (default: the server's)."""
        fields = _given(hash_type=hash_type, range=range)
        return self._similarity("remove_duplicates", images, fields, None, timeout)

    def rank_images(
        self,
        query: Record,
        images: Iterable[Record],
        *,
        hash_type: str = "phash",
        k: int | None = None,
        range: int | None = None,
        timeout: float | None = None,
    ) -> dict:
        """Ximilar's ``rank_images``: ``answer_records`` nearest to ``query`` first, with
        ``answer_distances``."""
        fields = _given(hash_type=hash_type, k=k, range=range)
        return self._similarity("rank_images", images, fields, query, timeout)

    def _similarity(
        self,
        kind: str,
        images: Iterable[Record],
        fields: dict[str, Any],
        query: Record | None,
        timeout: float | None,
    ) -> dict:
        records = [_record(image) for image in images]
        asked = _record(query) if query is not None else None
        deadline = deadline_of(self._timeout(timeout))
        wait = wait_seconds(deadline)

        def body() -> tuple[Any, str]:
            return JsonRecordsBody(records, fields, query=asked), "application/json"

        answer = self.similarity_submit(kind, body, wait=wait)
        return self.similarity_result(kind, answer, deadline=deadline)

    def similarity_submit(self, kind: str, body: Any, *, wait: float = 0.0) -> dict:
        """POST a similarity request (``body`` builds a JSON body per attempt); the answer."""
        if kind not in SIMILARITY_KINDS:
            raise BadRequest(f"kind must be one of {', '.join(SIMILARITY_KINDS)}")
        params = {"wait": f"{wait:g}"} if wait else None
        return self.transport.json(
            "POST",
            f"/api/v1/{kind}",
            body=body,
            params=params,
            read_timeout=batches.UPLOAD_READ_TIMEOUT + wait,
        )

    def similarity_result(
        self,
        kind: str,
        answer: Mapping[str, Any],
        *,
        deadline: float | None,
        on_status: Callable[[dict], None] | None = None,
    ) -> dict:
        """Follow a similarity job (its answer so far) to Ximilar's finished body."""
        body = dict(answer)
        if not _similarity_finished(body):
            body = follow(
                self.transport,
                f"/api/v1/{kind}/{body['uuid']}",
                deadline=deadline,
                what=f"{kind} job {body['uuid']}",
                finished=_similarity_finished,
                on_status=on_status,
                poll_wait=batches.POLL_WAIT if on_status else MAX_WAIT,
            )
        if body.get("status") == "failed":
            raise job_failure(body)
        return body

    # ------------------------------------------------------------ the server

    def limits(self) -> dict:
        """The sizes the server accepts (``maxUploadBytes``, ``maxBatchItems``...)."""
        return self.transport.json("GET", "/api/v1/limits")

    def ready(self) -> bool:
        """Whether the server is ready (``/readyz``: Redis, storage and a worker answer)."""
        try:
            answer = self.transport.session.get(self.transport.url("/readyz"), timeout=5)
        except OSError:
            return False
        return answer.status_code == 200 and json_body(answer).get("ready") is True

    def _upload_limit(self) -> int | None:
        """The server's ``maxUploadBytes`` (read once), or ``None`` if it does not say."""
        if self._limits is None:
            try:
                self._limits = self.limits()
            except NotFound:
                self._limits = {}
        limit = self._limits.get("maxUploadBytes")
        return int(limit) if limit else None

    def _timeout(self, timeout: float | None) -> float | None:
        return self.timeout if timeout is None else timeout


def _given(**fields: Any) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


def _record(image: Record) -> tuple[dict[str, Any], Input | None]:
    """A similarity record: a mapping as given (with ``_url`` or ``_base64``), or an input
    (``_id`` its name; a URL as ``_url``, else its bytes as ``_base64``, streamed)."""
    if isinstance(image, Mapping):
        return dict(image), None
    item = to_input(image)
    record: dict[str, Any] = {"_id": item.name}
    if item.url is not None:
        record["_url"] = item.url
    return record, item


def _similarity_finished(body: Mapping[str, Any]) -> bool:
    status = body.get("status")
    return not (isinstance(status, str) and status in ("queued", "processing"))
