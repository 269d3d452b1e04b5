"""The virus-scan step of a job, and the ``scan`` operation's runner.

A job whose options ask for it (``scan=true`` on extract, remove and hash; always
for the ``scan`` operation) sends its input to clamd (:mod:`common.clamav`)
before the operation runs. The result gains ``virusScan``. For an infected file
the ``SCAN_INFECTED`` setting decides:

- ``report`` (default): the job completes and says so; an operation that
  produces a file (remove) does not run, so there is no cleaned file to download;
- ``reject``: the job fails ``infected``.

A file clamd could not scan whole (over its stream limit) is reported with
``scanned: false`` and processed as usual: it is never called clean.
"""

from __future__ import annotations

from dataclasses import replace

from common.clamav import Clamd, ScanFailed, scan
from common.errors import ExifqError
from common.operations import Limits, Operation, Outcome, Source
from common.settings import Settings

REPORT, REJECT = "report", "reject"


class Infected(ExifqError):
    """The file carries a virus and the service rejects infected files."""

    code = "infected"
    http_status = 422


def wanted(options: object) -> bool:
    """Whether the job's options ask for a scan."""
    return bool(getattr(options, "scan", False))


def clamd_for(settings: Settings) -> Clamd:
    if not settings.CLAMD_URL:
        raise ScanFailed("virus scanning is not configured on this service (CLAMD_URL)")
    return Clamd(settings.CLAMD_URL, settings.CLAMD_TIMEOUT, settings.CLAMD_STREAM_MAX_BYTES)


def run_with_scan(
    operation: Operation, source: Source, options: object, limits: Limits, settings: Settings
) -> Outcome:
    """Scan when asked, then run ``operation`` as the scan's verdict and the policy allow."""
    if not wanted(options):
        return operation.run(source, options, limits)
    # (a video is staged as a file, source.path, and streamed to clamd from it)
    verdict = scan(source.path or source.data, clamd_for(settings))
    if verdict["infected"]:
        if settings.SCAN_INFECTED == REJECT:
            raise Infected(f"the file is infected with {verdict['infectedWith']}")
        if operation.produces_file:
            return Outcome({"fileName": source.name, "virusScan": verdict})
    outcome = operation.run(source, options, limits)
    return replace(outcome, result={**outcome.result, "virusScan": verdict})


def run(source: Source, options: object, limits: Limits) -> Outcome:
    """The ``scan`` operation itself: the file's name and size (the step adds ``virusScan``)."""
    size = source.path.stat().st_size if source.path is not None else len(source.data)
    return Outcome({"fileName": source.name, "size": size})
