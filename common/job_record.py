"""A job's record: what the store knows about one job, and its encoding in a Redis hash; the
names of a job's objects in storage."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field

from common.status import TERMINAL

_JSON_FIELDS = ("options", "error")
_FLOAT_FIELDS = ("created_at", "updated_at", "expires_at", "finished_at")
_INT_FIELDS = ("deliveries", "size")


@dataclass(frozen=True)
class Job:
    """What the store knows about one job."""

    uuid: str
    op: str  # the operation's name (``common.operations``)
    status: str
    created_at: float
    expires_at: float
    updated_at: float
    options: dict = field(default_factory=dict)
    owner: str = ""  # hash of the API key that created it ("" when the service is open)
    source: str = "upload"  # "upload" | "url"
    file_name: str = ""
    file_format: str | None = None  # the upload's format as the API sniffed it ("jpg", ...)
    url: str | None = None
    size: int | None = None
    deliveries: int = 0
    worker: str | None = None
    error: dict | None = None
    result_key: str | None = None
    cleaned_key: str | None = None
    cleaned_type: str | None = None  # the cleaned file's MIME type
    finished_at: float | None = None
    batch: str | None = None  # the batch this job is an item of
    callback_url: str | None = None  # POSTed the job's status once it is finished
    notify: str | None = None  # an API listener's channel told of the finish (common.completions)

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL


def upload_key(job_id: str) -> str:
    return f"uploads/{job_id}"


def result_key(job_id: str) -> str:
    return f"results/{job_id}.json"


def cleaned_key(job_id: str, file_name: str) -> str:
    """Where a job's cleaned file lives; the name reduced to characters safe in any store."""
    return f"cleaned/{job_id}/{safe_name(file_name)}"


def safe_name(file_name: str, default: str = "image") -> str:
    """``file_name`` without directories, in ASCII letters, digits, ``._-`` (at most 100)."""
    base = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    ascii_name = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._")[-100:].lstrip("._")
    return cleaned or default


# Everything a job leaves in storage lives under one of these prefixes.
STORAGE_PREFIXES = ("uploads/", "results/", "cleaned/", "requests/")


def encode(values: dict) -> dict[str, str]:
    out = {}
    for name, value in values.items():
        if value is None:
            continue
        out[name] = json.dumps(value) if name in _JSON_FIELDS else str(value)
    return out


def fields_of(job: Job) -> dict:
    """``job``'s fields, shallow (``dataclasses.asdict`` deep-copies every value)."""
    return {name: getattr(job, name) for name in Job.__dataclass_fields__}


def decode(raw: dict[str, str]) -> Job:
    values: dict = dict(raw)
    for name in _JSON_FIELDS:
        if name in values:
            values[name] = json.loads(values[name])
    for name in _FLOAT_FIELDS:
        if name in values:
            values[name] = float(values[name])
    for name in _INT_FIELDS:
        if name in values:
            values[name] = int(values[name])
    known = Job.__dataclass_fields__
    return Job(**{name: value for name, value in values.items() if name in known})


# A finish message (``common.jobs``, published by the finish script): ``status``, then
# ``record:{the finished record's hash as JSON}`` when the finisher knew it, then the notice.
_RECORD_MARK = "record:"


def finish_message(status: str, job: Job | None, notice: str) -> str:
    """What finishing publishes: the status, the finished record (when known), the notice."""
    record = f"{_RECORD_MARK}{json.dumps(encode(fields_of(job)))}\n" if job is not None else ""
    return f"{status}\n{record}{notice}"


def carried_job(text: str) -> tuple[Job | None, str]:
    """The finished record and the notice in a finish message (after its status line)."""
    if not text.startswith(_RECORD_MARK):
        return None, text
    record, _, notice = text.partition("\n")
    return decode(json.loads(record[len(_RECORD_MARK) :])), notice
