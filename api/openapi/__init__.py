"""``GET /openapi.json``: the OpenAPI 3.1 description of this server (``api.docs`` renders it).

Built from the app: a pair of routes per registered operation with its options
(:mod:`.jobs`, :mod:`.results`, :mod:`.metadata`), batches and similarity jobs
(:mod:`.batch`), the service's other routes (:mod:`.service`), and the drop-in
adapters the app serves (:mod:`.compat`), with examples taken from real
responses (:mod:`.examples`). ``servers`` is relative, so "try it out" in the
docs page calls the server the page came from. ``tests/unit/service/test_openapi.py``
checks that every route is documented and that real answers match their schemas.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Blueprint, current_app

from api.openapi import batch, compat, examples, jobs, metadata, parts, results, service
from common import operations

bp = Blueprint("openapi", __name__)

DESCRIPTION = """\
Reads, removes and fingerprints image metadata. Jobs are queued and polled (or answered
within `wait` seconds); a batch or a similarity job makes many.

**Keys**: `X-API-Key: KEY` or `?key=KEY`; none when the service runs open. A status or
download URL needs no key; with one, only that key's jobs are found.

**Errors**: `{"success": false, "error": "...", "code": "..."}`. Rate limited: 429 with
`Retry-After`; answers carry `X-RateLimit-Limit`, `-Remaining` and `-Reset` when a limit
applies. The drop-in adapters under `/compat/` answer in their hosted APIs' own shapes.
"""
TAGS = [
    {"name": "jobs", "description": "one file, one operation"},
    {"name": "batches", "description": "many files and URLs, one or more operations"},
    {"name": "similarity", "description": "Ximilar-shaped image matching"},
    {"name": "service", "description": "limits, health, metrics, this document"},
    {"name": "pages", "description": "for people, in a browser"},
]


def build_spec(adapters: Iterable[str] = ()) -> dict:
    """The OpenAPI document for the registered operations and the drop-in ``adapters``
    (the running app's: :func:`api.openapi.compat.served`)."""
    adapters = list(adapters)
    ops = operations.all_operations()
    documents = parts.components()
    documents["schemas"].update(
        {
            **metadata.SCHEMAS,
            **results.schemas(ops),
            **batch.batch_schemas(ops),
            **batch.similarity_schemas(),
        }
    )
    adapter_parts = compat.components(adapters)
    documents["schemas"].update(adapter_parts["schemas"])
    documents["securitySchemes"].update(adapter_parts["securitySchemes"])
    paths = {
        **jobs.paths(ops),
        **batch.batch_paths(ops),
        **batch.similarity_paths(),
        **service.paths(),
        **compat.paths(adapters),
    }
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "exifq API", "version": "1", "description": DESCRIPTION},
        "servers": [{"url": "/", "description": "this server"}],
        "tags": TAGS + compat.tags(adapters),
        "security": parts.NATIVE_SECURITY,
        "paths": paths,
        "components": documents,
    }
    return examples.attach(spec)


@bp.get("/openapi.json")
def openapi_json():
    return build_spec(compat.served(current_app))
