"""Every error the API answers is ``{"success": false, "error": "...", "code": "..."}`` with a
fitting status.

``error`` is the message (DESIGN's shape); ``code`` names the error for programs
(``bad_request``, ``unauthorized``, ``not_found``, ``too_large``,
``unsupported_format``, ``service_unavailable``...: an ``ExifqError``'s own code,
else one per HTTP status). Client mistakes (``ExifqError``, Werkzeug's HTTP
errors such as 404, 405 and the 413 of ``MAX_CONTENT_LENGTH``) keep their
status; a 404 says in our words what was not found (an unknown route, or a
status URL whose last part is no UUID); storage or Redis being away is a 503;
anything else is our bug, logged with its traceback, and the only path to a 500.
"""

from __future__ import annotations

import logging
import re

import redis
from flask import Flask, jsonify, request
from kombu.exceptions import OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge

from common.errors import STATUS_CODES, ExifqError, TransientError

log = logging.getLogger(__name__)

UNAVAILABLE = (TransientError, redis.RedisError, OperationalError)
SOME_UUID = "00000000-0000-4000-8000-000000000000"
_LAST_PART = re.compile(r"/[^/]+/?$")


def error_response(message: str, status: int, code: str | None = None):
    body = {"success": False, "error": message, "code": code or STATUS_CODES.get(status, "error")}
    response = jsonify(body)
    response.status_code = status
    return response


def _routed(app: Flask, path: str) -> bool:
    """Whether some route takes ``path`` with the request's method (a redirect counts)."""
    try:
        app.url_map.bind("localhost").match(path, method=request.method)
    except (NotFound, MethodNotAllowed):
        return False
    except HTTPException:  # RequestRedirect: the route exists with a trailing slash
        return True
    return True


def not_found_message(app: Flask, exc: NotFound) -> str:
    """What was not found, in our words: a view's own message; a file of a route that exists;
    a status or download URL whose last part is not a UUID; or no such route at all."""
    if exc.description and exc.description != NotFound.description:
        return exc.description
    path = request.path
    if _routed(app, path):
        return f"not found: {path}"
    last = path.rstrip("/").rsplit("/", 1)[-1]
    with_uuid = _LAST_PART.sub(f"/{SOME_UUID}", path)
    if with_uuid != path and _routed(app, with_uuid):
        return f"{last!r} is not a UUID (job and batch ids are UUIDs)"
    return f"no such route: {request.method} {path} (the routes are listed at /docs/)"


def register_error_handlers(app: Flask, max_upload_bytes: int) -> None:
    @app.errorhandler(ExifqError)
    def exifq_error(exc: ExifqError):
        return error_response(exc.message, exc.http_status, exc.code)

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound):
        return error_response(not_found_message(app, exc), 404)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge):
        limit = request.max_content_length
        if limit != app.config["MAX_CONTENT_LENGTH"]:  # a batch request sets its own limit
            return error_response(f"request too large (limit {limit} bytes)", 413)
        return error_response(f"file too large (limit {max_upload_bytes} bytes)", 413)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        response = error_response(exc.description or exc.name, exc.code or 500)
        for name, value in exc.get_headers():  # Allow on a 405 (RFC 9110 §15.5.6), ...
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    def unavailable(exc: Exception):
        log.warning("backend unavailable: %s", exc)
        return error_response("service temporarily unavailable, try again", 503)

    for exc_class in UNAVAILABLE:
        app.register_error_handler(exc_class, unavailable)

    @app.errorhandler(Exception)
    def internal(exc: Exception):
        log.exception("unhandled error")
        return error_response("internal error", 500)
