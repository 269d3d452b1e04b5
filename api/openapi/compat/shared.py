"""What the adapters' documents share: an operation in an adapter's own error shape, with
every status the adapter's ``render`` can give (``api.compat.base.install_errors``)."""

from __future__ import annotations

import copy

from api.openapi.parts import RATE_HEADERS, header_ref, json_answer, schema_ref


def operation(
    tag: str,
    error: str,
    statuses: dict[str, str],
    responses: dict,
    **fields: object,
) -> dict:
    """An adapter route: ``responses`` plus, for each of ``statuses`` (status → description),
    an answer of the ``error`` schema; ``X-RateLimit-*`` on every answer (the adapters are
    rate limited like the native API)."""
    answers = copy.deepcopy(responses)
    for status, description in statuses.items():
        answers.setdefault(status, json_answer(description, schema_ref(error)))
    for status, answer in answers.items():
        headers = answer.setdefault("headers", {})
        headers.update({name: header_ref(name) for name in RATE_HEADERS})
        if status == "429":
            headers["Retry-After"] = header_ref("Retry-After")
    return {"tags": [f"compat: {tag}"], **fields, "responses": answers}


def pending(**more: dict) -> dict:
    """The 202 of a job still running after ``COMPAT_WAIT_SECONDS``."""
    return {
        "type": "object",
        "properties": {
            "uuid": {"type": "string", "format": "uuid"},
            "status": {"enum": ["queued", "processing"]},
            **more,
        },
        "required": ["uuid", "status"],
        "additionalProperties": False,
    }
