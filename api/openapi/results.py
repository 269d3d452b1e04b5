"""The job bodies (``common.bodies.job_body``): pending, failed, and each operation's completed
result (``worker.media.operations``, ``worker.scan``).

A job's body is one of three: ``{success: true, uuid, status: queued|processing,
statusUrl}``; ``{success: false, uuid, status: failed, error: {code, message}}``;
or ``{success: true, uuid, status: completed, expiresAt, ...result}``
(``downloadUrl`` when the operation produces a file). An operation added by
``OPERATION_MODULES`` has its result documented as an open object.
"""

from __future__ import annotations

from api.openapi.parts import DATE_TIME, INTEGER, TEXT, UUID, schema_ref, strict
from common.operations import Operation
from common.operations.hashes import HASH_TYPES

PENDING = strict(
    {
        "success": {"const": True},
        "uuid": UUID,
        "status": {"enum": ["queued", "processing"]},
        "statusUrl": {"type": "string", "description": "where to poll"},
    },
    ["success", "uuid", "status", "statusUrl"],
)
FAILED = strict(
    {
        "success": {"const": False},
        "uuid": UUID,
        "status": {"const": "failed"},
        "error": schema_ref("JobError"),
    },
    ["success", "uuid", "status", "error"],
)
_ENVELOPE = {
    "success": {"const": True},
    "uuid": UUID,
    "status": {"const": "completed"},
    "expiresAt": {**DATE_TIME, "description": "when the result (and any file) is deleted"},
    "fileName": {"type": "string", "description": "the upload's name, or the URL's"},
    "virusScan": schema_ref("VirusScan"),
}
_REQUIRED = ["success", "uuid", "status", "expiresAt", "fileName"]
_GROUPS = {
    "type": "string",
    "description": "exif, gps, makerNotes, thumbnail, xmp, iptc, photoshop, icc, "
    "orientation, copyright, comment, text, time, mpf, appendedImages, flashpix, geotiff, "
    "vendor; for videos also itemList, userData, software...",
}

# What each built-in operation adds to the envelope, and which of it is always there.
RESULTS: dict[str, tuple[dict, list[str]]] = {
    "extract": ({"metadata": schema_ref("Metadata")}, ["metadata"]),
    "remove": (
        {
            "format": TEXT,
            "removed": {
                "type": "array",
                "description": "each segment, chunk or block left out, in file order",
                "items": strict({"type": TEXT, "size": INTEGER}, ["type", "size"]),
            },
            "removedGroups": {"type": "array", "items": _GROUPS},
            "kept": {"type": "array", "items": _GROUPS},
            "bytesBefore": INTEGER,
            "bytesAfter": INTEGER,
            "zeroedTimes": {
                "type": "object",
                "description": "videos: the times set to 0, by box (mvhd, tkhd, mdhd...)",
                "additionalProperties": INTEGER,
            },
            "downloadUrl": {
                "type": "string",
                "description": "the cleaned file (absent for an infected file)",
            },
        },
        [],
    ),
    "hash": (
        {
            "hashes": {
                "type": "object",
                "description": "by type: 64-bit hashes as 16 hex digits (as imagehash), bmh0 and "
                "bmh1 as bit strings (as OpenCV's BlockMeanHash), md5 and sha256 as hex",
                "propertyNames": {"enum": list(HASH_TYPES)},
                "additionalProperties": {"type": "string", "pattern": "^[0-9a-f]+$"},
            },
            "width": {"type": "integer", "description": "the stored size, once decoded"},
            "height": INTEGER,
        },
        ["hashes"],
    ),
    "scan": ({"size": INTEGER}, ["size", "virusScan"]),
}


def result(op: Operation) -> dict:
    """What ``op``'s runner gives (a batch item's ``result``): the completed body without the
    job's own fields."""
    if op.name not in RESULTS:
        return {"type": "object", "description": f"the result of {op.name}: {op.summary}"}
    properties, required = RESULTS[op.name]
    shared = {"fileName": _ENVELOPE["fileName"], "virusScan": _ENVELOPE["virusScan"]}
    return strict({**shared, **properties}, ["fileName", *required])


def completed(op: Operation) -> dict:
    """The completed body of ``op``."""
    if op.name not in RESULTS:
        return {
            "type": "object",
            "properties": _ENVELOPE,
            "required": ["success", "uuid", "status"],
            "description": f"the result of {op.name}: {op.summary}",
        }
    properties, required = RESULTS[op.name]
    return strict({**_ENVELOPE, **properties}, [*_REQUIRED, *required])


def body(op: Operation, *, pending: bool = True) -> dict:
    """Any body of a job of ``op`` (finished only, without ``pending``)."""
    choices = [schema_ref(name) for name in names(op)]
    return {"oneOf": choices if pending else choices[1:]}


def names(op: Operation) -> tuple[str, str, str]:
    """The component names of ``op``'s bodies: pending, failed, completed."""
    return "JobPending", "JobFailed", f"{_title(op)}Completed"


def result_name(op: Operation) -> str:
    return f"{_title(op)}Result"


def _title(op: Operation) -> str:
    return "".join(part.capitalize() for part in op.name.split("_"))


def schemas(ops: tuple[Operation, ...]) -> dict:
    found = {"JobPending": PENDING, "JobFailed": FAILED}
    for op in ops:
        found[names(op)[2]] = completed(op)
        found[result_name(op)] = result(op)
    return found
