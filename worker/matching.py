"""Ximilar-shaped similarity jobs: parse a request, and answer it from the records' hash jobs.

``POST /api/v1/visual_hash | remove_duplicates | rank_images`` take and give
the JSON of Ximilar's Image Matching API (``/image_matching/v2/...``): a list of
``records``, each an image by ``_url`` or ``_base64`` plus any fields of the
client's own (``_id`` ...) that the answer echoes. The server turns every
record into one hash job (:func:`parse_request` gives what to hash,
:func:`hash_type_option` the job's ``types``); when the last job is done,
:func:`answer` builds the response body from the jobs' results. Pure
functions: no I/O, no Redis, no storage.

Where Ximilar's documentation leaves a detail open, the choice made here:

- ``hash_type`` is one string, ``"phash"`` (default) or ``"bmh1"``; a record's
  hash is given as ``_hash``, a bit string (64 or 968 characters; see
  :mod:`worker.media.hashes`).
- ``range`` is the largest Hamming distance (in bits) at which two images are
  duplicates; default :data:`DEFAULT_RANGE` for the hash type.
- A record with both ``_url`` and ``_base64`` is read from ``_base64``.
  ``_base64`` may carry a ``data:...;base64,`` prefix and line breaks.
- ``_base64`` is never echoed back (the client has it; it can be megabytes).
- A record's ``_status`` is ``{"code": 200, "text": "OK"}``, or for a record
  that failed ``{"code": <HTTP status of its error>, "text": <error code>,
  "message": <what went wrong>}``.
- Top-level ``status`` is ``{"code": 200, "text": "OK"}`` when every record
  (and the query) was hashed, else ``{"code": 300, "text": "MIXED_RESULT"}``,
  even when none was.
- Records that failed are listed with their ``_status`` in ``records``
  (visual_hash) or in ``skipped_records`` (remove_duplicates, rank_images:
  they took no part in the comparison).
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass

from common import errors
from common.errors import BadRequest, TooLarge, UrlForbidden
from common.fetch.urls import parse_target
from worker.media.hashes import to_bits
from worker.media.similarity import find_duplicates, hamming_distance, rank

KINDS = ("visual_hash", "remove_duplicates", "rank_images")
HASH_BITS = {"phash": 64, "bmh1": 968}
DEFAULT_HASH_TYPE = "phash"
# Default duplicate distance. Measured on the corpus (tests/media/test_matching.py):
# half-size, JPEG q70 and PNG copies of a photo stay within 2 (phash) / 24 (bmh1)
# bits of it; distinct photos are at least 20 / 171 apart (but flat, almost
# uniform images can be within 65 bmh1 bits of each other).
DEFAULT_RANGE = {"phash": 10, "bmh1": 48}

OK_STATUS = {"code": 200, "text": "OK"}
MIXED_STATUS = {"code": 300, "text": "MIXED_RESULT"}

_DATA_URL = re.compile(r"data:[^,;]*(?:;[^,;]*)*;base64,", re.IGNORECASE)
# `_base64` is not echoed (the client has it; it can be megabytes); the rest are ours to write.
_NOT_ECHOED = frozenset(
    {"_base64", "_status", "_width", "_height", "_hash", "_distance", "removed_records"}
)
_HTTP_STATUS = {cls.code: cls.http_status for cls in errors.ExifqError.__subclasses__()}


@dataclass(frozen=True)
class RecordInput:
    """What the server must hash for one record."""

    url: str | None = None
    data: bytes | None = None  # decoded `_base64`
    error: dict | None = None  # {"code","message"}: cannot be hashed, no job is made


@dataclass(frozen=True)
class MatchingRequest:
    """A parsed, valid request.

    ``inputs`` has one entry per image to hash. For ``rank_images`` the
    query comes first: ``inputs[0]`` is ``query``'s and ``inputs[1 + i]`` is
    ``records[i]``'s; for the other kinds ``inputs[i]`` is ``records[i]``'s.
    """

    kind: str
    hash_type: str  # "phash" | "bmh1"
    records: list[dict]  # as sent (answers echo their fields, e.g. `_id`, `_url`)
    inputs: list[RecordInput]
    range: int | None = None  # max Hamming distance: duplicates / rank_images answers
    k: int | None = None  # rank_images: at most k answers
    query: dict | None = None  # rank_images: `query_record` as sent

    @property
    def bits(self) -> int:
        """Length of the hash type's bit strings."""
        return HASH_BITS[self.hash_type]

    def to_json(self) -> dict:
        """The request as JSON to store until :func:`answer` (no image bytes, no `_base64`)."""
        return {
            "kind": self.kind,
            "hash_type": self.hash_type,
            "records": [_echo(record) for record in self.records],
            "query": None if self.query is None else _echo(self.query),
            "range": self.range,
            "k": self.k,
            "inputs": [{"url": i.url, "error": i.error} for i in self.inputs],
        }

    @classmethod
    def from_json(cls, stored: dict) -> MatchingRequest:
        """The request :meth:`to_json` stored (inputs keep their URL and error, not data)."""
        inputs = [RecordInput(url=i["url"], error=i["error"]) for i in stored["inputs"]]
        return cls(
            kind=stored["kind"],
            hash_type=stored["hash_type"],
            records=stored["records"],
            inputs=inputs,
            range=stored["range"],
            k=stored["k"],
            query=stored["query"],
        )


@dataclass(frozen=True)
class RecordOutcome:
    """One record after its hash job."""

    result: dict | None  # the hash job's result JSON, as the hash operation gives it
    error: dict | None = None  # {"code","message"} when the job failed or the input had an error


def parse_request(
    kind: str, body: object, *, max_records: int, max_base64_bytes: int
) -> MatchingRequest:
    """Validate a request body of ``kind``; ``BadRequest`` when it is malformed as a whole.

    400s: unknown kind, body not a JSON object, ``records`` missing, not a
    list or holding a non-object (an empty list is a request with nothing to
    compare, answered as such), more than ``max_records`` images
    (the query counts), a bad ``hash_type``, ``range`` or ``k``, and for
    ``rank_images`` a missing or non-object ``query_record``. A record that
    merely cannot be hashed (no ``_url``/``_base64``, a malformed URL or
    base64, more than ``max_base64_bytes`` decoded) gets an ``error`` in its
    :class:`RecordInput` instead.
    """
    if kind not in KINDS:
        raise BadRequest(f"unknown similarity job {kind!r} (known: {', '.join(KINDS)})")
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    hash_type = _hash_type(body.get("hash_type", DEFAULT_HASH_TYPE))
    records = _records(body.get("records"), "records")
    query = None
    if kind == "rank_images":
        query = body.get("query_record")
        if not isinstance(query, dict):
            raise BadRequest("rank_images needs a query_record: a JSON object with _url or _base64")
    count = len(records) + (query is not None)
    if count > max_records:
        raise BadRequest(f"too many records: {count}, at most {max_records}")
    distance = _range(body, kind, hash_type)
    k = _k(body.get("k")) if kind == "rank_images" else None
    images = ([query] if query is not None else []) + records
    inputs = [record_input(record, max_base64_bytes=max_base64_bytes) for record in images]
    return MatchingRequest(kind, hash_type, records, inputs, distance, k, query)


def hash_type_option(request: MatchingRequest) -> str:
    """The ``types`` option of each record's hash job."""
    return request.hash_type


def record_input(record: dict, *, max_base64_bytes: int) -> RecordInput:
    """What to hash for one record, or why it cannot be hashed."""
    encoded, url = record.get("_base64"), record.get("_url")
    if encoded is not None:
        if not isinstance(encoded, str):
            return _failed(BadRequest("_base64 must be a string"))
        return _decode_base64(encoded, max_base64_bytes)
    if url is not None:
        if not isinstance(url, str) or not url:
            return _failed(BadRequest("_url must be a non-empty string"))
        try:
            parse_target(url)
        except UrlForbidden as exc:
            return _failed(exc)
        return RecordInput(url=url)
    return _failed(BadRequest("the record has neither _url nor _base64"))


def answer(request: MatchingRequest, outcomes: list[RecordOutcome]) -> dict:
    """The complete Ximilar-shaped response body, ``outcomes[i]`` being ``request.inputs[i]``'s.

    For an input that carries an error (no job was made) the outcome is not
    read: pass ``RecordOutcome(None)``. ``ValueError`` when the counts differ.
    Duplicates come from :func:`find_duplicates` (an index, not all pairs),
    ranks from :func:`rank`.
    """
    if len(outcomes) != len(request.inputs):
        raise ValueError(f"{len(outcomes)} outcomes for {len(request.inputs)} inputs")
    images = ([request.query] if request.query is not None else []) + request.records
    hashed = [
        _hashed(record, given, outcome, request.hash_type)
        for record, given, outcome in zip(images, request.inputs, outcomes, strict=True)
    ]
    if request.kind == "visual_hash":
        body = _visual_hash(hashed)
    elif request.kind == "remove_duplicates":
        body = _remove_duplicates(hashed, request.range)
    else:
        body = _rank_images(hashed[0], hashed[1:], request.range, request.k)
    status = OK_STATUS if all(item.bits is not None for item in hashed) else MIXED_STATUS
    return {**body, "hash_type": request.hash_type, "status": dict(status)}


@dataclass(frozen=True)
class _Hashed:
    """One record with its outcome: the record as answered, and its hash (None if it failed)."""

    record: dict  # echoed fields + _status (+ _width, _height)
    bits: str | None


def _hashed(record: dict, given: RecordInput, outcome: RecordOutcome, hash_type: str) -> _Hashed:
    error = given.error or outcome.error
    bits = None
    if error is None:
        bits, error = _bits_of(outcome.result, hash_type)
    echoed = _echo(record)
    if error is not None:
        return _Hashed({**echoed, "_status": _record_status(error)}, None)
    size = {
        f"_{side}": outcome.result[side]
        for side in ("width", "height")
        if isinstance(outcome.result.get(side), int)
    }
    return _Hashed({**echoed, "_status": dict(OK_STATUS), **size}, bits)


def _bits_of(result: dict | None, hash_type: str) -> tuple[str | None, dict | None]:
    """The record's hash as a bit string, or the error that replaces it."""
    value = (result or {}).get("hashes", {}).get(hash_type)
    bits = HASH_BITS[hash_type]
    if isinstance(value, str) and len(value) == bits // 4 and hash_type == "phash":
        value = to_bits(value)
    if not isinstance(value, str) or len(value) != bits or value.strip("01"):
        message = f"the hash job gave no {bits}-bit {hash_type} hash"
        return None, {"code": "internal_error", "message": message}
    return value, None


def _visual_hash(hashed: list[_Hashed]) -> dict:
    records = [
        {**item.record, "_hash": item.bits} if item.bits is not None else item.record
        for item in hashed
    ]
    return {"records": records}


def _remove_duplicates(hashed: list[_Hashed], max_distance: int) -> dict:
    """Kept records in input order; the first of each cluster lists the ones it removed."""
    usable = [i for i, item in enumerate(hashed) if item.bits is not None]
    clusters = find_duplicates([hashed[i].bits for i in usable], max_distance)
    removed_by: dict[int, list[int]] = {}
    removed: set[int] = set()
    for cluster in clusters:
        kept, *others = (usable[j] for j in cluster)
        removed_by[kept] = others
        removed.update(others)
    records = []
    for i in usable:
        if i in removed:
            continue
        record = dict(hashed[i].record)
        if i in removed_by:
            record["removed_records"] = [
                {**hashed[j].record, "_distance": hamming_distance(hashed[i].bits, hashed[j].bits)}
                for j in removed_by[i]
            ]
        records.append(record)
    skipped = [item.record for item in hashed if item.bits is None]
    return {"records": records, "skipped_records": skipped, "range": max_distance}


def _rank_images(
    query: _Hashed, data: list[_Hashed], max_distance: int | None, k: int | None
) -> dict:
    """Data records from nearest to farthest from the query, ties in input order."""
    usable = [item for item in data if item.bits is not None]
    skipped = [item.record for item in data if item.bits is None]
    order: list[int] = []
    distances: list[int] = []
    if query.bits is not None and usable:
        order, distances = rank(query.bits, [item.bits for item in usable])
        if max_distance is not None:
            within = sum(d <= max_distance for d in distances)
            order, distances = order[:within], distances[:within]
        order, distances = order[:k], distances[:k]
    body = {
        "query_record": query.record,
        "answer_records": [usable[i].record for i in order],
        "answer_distances": distances,
        "answer_count": len(order),
        "skipped_records": skipped,
    }
    if max_distance is not None:
        body["range"] = max_distance
    return body


def _echo(record: dict) -> dict:
    """The record's own fields as the answer repeats them: not `_base64`, nor fields we write."""
    return {key: value for key, value in record.items() if key not in _NOT_ECHOED}


def _record_status(error: dict) -> dict:
    code = str(error.get("code", "error"))
    return {
        "code": _HTTP_STATUS.get(code, 500),
        "text": code,
        "message": str(error.get("message", "")),
    }


def _failed(exc: errors.ExifqError) -> RecordInput:
    return RecordInput(error=exc.to_dict())


def _decode_base64(text: str, max_bytes: int) -> RecordInput:
    """``_base64`` to bytes; a per-record error when it is empty, malformed or too large."""
    prefix = _DATA_URL.match(text)
    if prefix:
        text = text[prefix.end() :]
    text = "".join(text.split())  # line breaks; 10× faster than a regex on megabytes
    if not text:
        return _failed(BadRequest("_base64 is empty"))
    estimate = len(text) // 4 * 3 - text[-2:].count("=")
    if estimate > max_bytes:
        return _failed(TooLarge(f"_base64 holds about {estimate} bytes, more than {max_bytes}"))
    if len(text) % 4:
        return _failed(BadRequest(f"_base64 is not valid base64: {len(text)} characters"))
    if not text.isascii():
        return _failed(BadRequest("_base64 is not valid base64: it holds non-ASCII characters"))
    try:
        data = binascii.a2b_base64(text, strict_mode=True)
    except binascii.Error as exc:
        return _failed(BadRequest(f"_base64 is not valid base64: {exc}"))
    return RecordInput(data=data)


def _records(value: object, name: str) -> list[dict]:
    if value is None:
        raise BadRequest(f"{name} is required: a list of records with _url or _base64")
    if not isinstance(value, list):
        raise BadRequest(f"{name} must be a list of records")
    for i, record in enumerate(value):
        if not isinstance(record, dict):
            raise BadRequest(f"{name}[{i}] must be a JSON object, not {type(record).__name__}")
    return value


def _hash_type(value: object) -> str:
    if not isinstance(value, str) or value not in HASH_BITS:
        raise BadRequest(f"hash_type must be one of {', '.join(HASH_BITS)}, not {value!r}")
    return value


def _whole_number(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{name} must be a whole number, not {value!r}")
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high}, not {value}")
    return value


def _range(body: dict, kind: str, hash_type: str) -> int | None:
    """``range`` for the kinds that use it (visual_hash ignores it)."""
    value = body.get("range")
    if kind == "visual_hash":
        return None
    if value is None:
        return DEFAULT_RANGE[hash_type] if kind == "remove_duplicates" else None
    return _whole_number(value, "range", 0, HASH_BITS[hash_type])


def _k(value: object) -> int | None:
    if value is None:
        return None
    return _whole_number(value, "k", 1, 2**31)
