"""What the client does around every job: check its options, then follow it to its end.

Options are checked here, before anything is sent, by the declaration the
server itself uses (``common.operations``: the same names, types, choices and
bounds), so a mistake is a :class:`~exifq.errors.BadRequest` without a round
trip. An operation this client does not know (a server's plug-in) is sent
unchecked: the server decides.

Following a job: long polls (``?wait=N``, N up to the API's 30 s) until the
status is no longer queued or processing; a poll the server answers early
without a result (a proxy that cuts long requests, an old server) is spaced
out with a growing pause (0.5, 1, 2 ... 10 s) rather than repeated at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from common import operations
from common import options as opts
from common.errors import BadRequest as ServerSideBadRequest
from common.status import PROCESSING, QUEUED
from exifq.errors import BadRequest, TimedOut
from exifq.transport import READ_TIMEOUT, Transport

RUNNING = (QUEUED, PROCESSING)
MAX_WAIT = 30.0  # the longest ?wait the API takes
MIN_PAUSE, MAX_PAUSE = 0.5, 10.0


def operation_name(name: str) -> str:
    """The API's name of an operation given by either name (``strip`` → ``remove``)."""
    found = operations.get(name)
    return found.name if found is not None else name


def checked_options(operation: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` for ``operation`` as JSON values (lists for sets), validated by the
    operation's declaration; ``BadRequest`` for an unknown name or a bad value."""
    found = operations.get(operation)
    if found is None:
        return dict(options)
    try:
        parsed = found.parse_options(options, strict=True)
    except ServerSideBadRequest as exc:
        raise BadRequest(exc.message) from None
    values = opts.to_json(parsed)
    return {name: values[name] for name in options}


def checked_batch_options(
    names: Iterable[str], options: Mapping[str, Any]
) -> tuple[list[str], dict[str, Any]]:
    """The batch's operations (API names) and its options as JSON values: each option goes
    to every operation that has it (as the API does); one that none has is a ``BadRequest``."""
    ops = list(dict.fromkeys(operation_name(name) for name in names))
    if not ops:
        raise BadRequest("a batch needs at least one operation")
    known = [operations.get(name) for name in ops]
    if None in known:  # a plug-in the client does not know: the server checks
        return ops, dict(options)
    values: dict[str, Any] = {}
    for op in known:
        mine = {name: value for name, value in options.items() if name in opts.names(op.options)}
        values.update(checked_options(op.name, mine))
    unknown = sorted(set(options) - set(values))
    if unknown:
        raise BadRequest(f"unknown option for {', '.join(ops)}: {', '.join(unknown)}")
    return ops, values


def form_value(value: Any) -> str:
    """A JSON option value as a form field: ``true``/``false``, lists comma-separated."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(str(item) for item in value)
    return str(value)


def form_fields(values: Mapping[str, Any]) -> dict[str, str]:
    return {name: form_value(value) for name, value in values.items()}


def job_finished(body: Mapping[str, Any]) -> bool:
    """A job's or a batch's body: no longer queued or processing."""
    return body.get("status") not in RUNNING


def deadline_of(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


def remaining(deadline: float | None) -> float:
    return float("inf") if deadline is None else deadline - time.monotonic()


def wait_seconds(deadline: float | None, ceiling: float = MAX_WAIT) -> float:
    """How long the next long poll may ask the server to hold it."""
    return round(max(0.0, min(ceiling, remaining(deadline))), 1)


def follow(
    transport: Transport,
    path: str,
    *,
    deadline: float | None,
    what: str,
    finished: Callable[[dict[str, Any]], bool] = job_finished,
    on_status: Callable[[dict[str, Any]], None] | None = None,
    poll_wait: float = MAX_WAIT,
    params: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``GET path?wait=N`` until ``finished(body)``; the last body. ``on_status`` sees every
    body. ``TimedOut`` once ``deadline`` (``time.monotonic()``) passes."""
    pause = MIN_PAUSE
    while True:
        if remaining(deadline) <= 0:
            raise TimedOut(f"{what} did not finish in the time allowed")
        wait = wait_seconds(deadline, poll_wait)
        started = time.monotonic()
        body = transport.json(
            "GET",
            path,
            params={**(params or {}), "wait": f"{wait:g}"},
            read_timeout=wait + READ_TIMEOUT,
            reconnect=True,
        )
        if on_status is not None:
            on_status(body)
        if finished(body):
            return body
        if time.monotonic() - started < wait / 2:  # answered early, unfinished: back off
            transport.sleep(max(0.0, min(pause, remaining(deadline))))
            pause = min(pause * 2, MAX_PAUSE)
        else:
            pause = MIN_PAUSE
