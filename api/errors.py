"""Every error the API answers is ``{"success": false, "error": "..."}`` with a fitting status.

Client mistakes (``ExifqError``, Werkzeug's HTTP errors such as 404, 405 and
the 413 of ``MAX_CONTENT_LENGTH``) keep their status; storage or Redis being
away is a 503; anything else is our bug, logged with its traceback, and the
only path to a 500.
"""

from __future__ import annotations

import logging

import redis
from flask import Flask, jsonify, request
from kombu.exceptions import OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from common.errors import ExifqError, TransientError

log = logging.getLogger(__name__)

UNAVAILABLE = (TransientError, redis.RedisError, OperationalError)


def error_response(message: str, status: int):
    response = jsonify({"success": False, "error": message})
    response.status_code = status
    return response


def register_error_handlers(app: Flask, max_upload_bytes: int) -> None:
    @app.errorhandler(ExifqError)
    def exifq_error(exc: ExifqError):
        return error_response(exc.message, exc.http_status)

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
