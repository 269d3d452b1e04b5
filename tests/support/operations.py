"""The operations run in-process, as the worker runs them: the reference the service's
answers are compared with."""

from __future__ import annotations

from common import operations
from common.operations import Limits, Outcome, Source


def run(op: str, data: bytes, name: str = "image.jpg", **params: object) -> Outcome:
    """Run operation ``op`` (API or command name) on ``data`` with options ``params``, as a
    request would give them."""
    operation = operations.get(op)
    return operation.run(Source(name, data), operation.parse_options(params), Limits())
