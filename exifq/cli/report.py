"""What the command line says when something fails: one shape, a summary, exit codes.

Every failure is one line on stderr::

    exifq: <file>: <code>: <message>

``<file>`` is the file the failure is about, or, for a request that failed as
a whole (the server refused it, or could not be reached), the FILE arguments
it carried. ``<code>`` is the API's error code (``corrupt_image``,
``too_large``, ``server_unreachable``...). A run over several files ends with
a summary line: ``37 done, 2 failed (corrupt_image ×2)``.

Exit status (:data:`EXIT_CODES`): 0 every file done, 1 some failed, 2 usage
(bad arguments or options, nothing sent), 3 server unreachable, 130 interrupted.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Sequence

OK, FAILED, USAGE, UNREACHABLE, INTERRUPTED = 0, 1, 2, 3, 130
EXIT_CODES = {
    OK: "every file done",
    FAILED: "some files failed, or the server refused the request",
    USAGE: "bad arguments or options: nothing was sent",
    UNREACHABLE: "the server could not be reached (EXIFQ_URL)",
    INTERRUPTED: "interrupted (Ctrl-C); batches already sent go on",
}
UNREACHABLE_HINT = "is the server running? (exifq dev starts one; EXIFQ_URL names another)"

Say = Callable[[str], object]


def stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def error_line(subject: str, code: str, message: str) -> str:
    """``exifq: <file>: <code>: <message>`` (one line: line breaks in the message become spaces)."""
    text = " ".join(str(message).split())
    return f"exifq: {subject}: {code}: {text}"


def say_error(subject: str, code: str, message: str, say: Say = stderr) -> None:
    say(error_line(subject, code, message))


def subject_of(arguments: Sequence[str]) -> str:
    """How a failure of the whole request names its files: the FILE arguments as given."""
    if not arguments:
        return "-"
    if len(arguments) <= 3:
        return " ".join(arguments)
    return f"{' '.join(arguments[:2])} (+{len(arguments) - 2} more)"


class Tally:
    """Counts a run's files: done, and failed by error code."""

    def __init__(self) -> None:
        self.done = 0
        self.failures: Counter[str] = Counter()

    def add(self, ok: bool, code: str | None = None) -> None:
        if ok:
            self.done += 1
        else:
            self.failures[code or "failed"] += 1

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    def summary(self) -> str:
        """``37 done, 2 failed (corrupt_image ×2)``; codes by count, then by name."""
        text = f"{self.done} done, {self.failed} failed"
        if self.failures:
            ranked = sorted(self.failures.items(), key=lambda item: (-item[1], item[0]))
            text += " (" + ", ".join(f"{code} ×{count}" for code, count in ranked) + ")"
        return text

    @property
    def status(self) -> int:
        return FAILED if self.failures else OK


def epilog() -> str:
    """The exit statuses, for ``--help``."""
    lines = [f"  {code:<4} {meaning}" for code, meaning in EXIT_CODES.items()]
    return "exit status:\n" + "\n".join(lines)
