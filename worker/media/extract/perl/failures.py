"""What happens when a translated expression fails: loudly under tests, once in production.

A failure is ours when a helper is missing, an expression was left untranslated, or
the translated Python raised (a bug). Perl's own runtime errors (:class:`PerlDie`:
division by zero, the log of a negative number) are not failures: ExifTool's
``eval`` dies the same way and the tag gets no value.

* :func:`set_strict` (the tests turn it on) makes every failure raise
  :class:`ExpressionFailure`, naming the table, the tag and the Perl source.
* Otherwise a failure is logged the first time it happens in the process and
  counted (:data:`COUNTS`); the caller keeps the tag's raw value, the job goes on.
"""

from __future__ import annotations

import linecache
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .scalars import ConversionError

COUNTS: Counter[tuple[str, str]] = Counter()
_strict = False
_tolerated: tuple[type[BaseException], ...] = ()


class ExpressionFailure(AssertionError):
    """A translated ExifTool expression failed where ExifTool's would not (tests only)."""


class NotTranslated(ConversionError):
    """An expression the translator left out was reached."""


class MissingHelper(ConversionError):
    """An expression called an ExifTool helper exifq does not have."""


def set_strict(strict: bool) -> bool:
    """Raise on every failure (``True``) or log and count it; returns the previous mode."""
    global _strict
    previous, _strict = _strict, strict
    return previous


@contextmanager
def tolerating(*kinds: type[BaseException]) -> Iterator[None]:
    """Under :func:`set_strict`, log and count these failures instead of raising (what a newer
    ExifTool adds that the translator cannot handle is reported, not fatal)."""
    global _tolerated
    saved, _tolerated = _tolerated, kinds
    try:
        yield
    finally:
        _tolerated = saved


def is_strict() -> bool:
    return _strict


def perl_source(fn: object) -> str:
    """The Perl an expression was translated from (the comment above its ``def``)."""
    text = getattr(fn, "perl", None)
    if isinstance(text, str):
        return text
    code = getattr(fn, "__code__", None)
    if code is None:
        return repr(fn)
    lines = []
    number = code.co_firstlineno - 1
    while number > 0:
        line = linecache.getline(code.co_filename, number)
        if not line.startswith("# "):
            break
        lines.append(line[2:].rstrip("\n"))
        number -= 1
    return "\n".join(reversed(lines)) or f"{code.co_name} (no Perl source recorded)"


def describe(where: tuple | str | None) -> str:
    if where is None:
        return "an expression"
    if isinstance(where, str):
        return where
    return " ".join(str(part) for part in where if part is not None)


def report(fn: Callable | object, where: tuple | str | None, exc: BaseException) -> None:
    """Record one failure: raise under :func:`set_strict`, else log it once and count it."""
    place = describe(where)
    key = (place, f"{type(exc).__name__}: {exc}")
    if _strict and not isinstance(exc, _tolerated):
        raise ExpressionFailure(f"{place}: {key[1]}\nPerl source:\n{perl_source(fn)}") from exc
    COUNTS[key] += 1
    if COUNTS[key] == 1:
        import logging  # only when an expression fails (logging costs a start-up ~3 ms)

        logging.getLogger("exifq.extract").warning(
            "ExifTool expression failed at %s: %s (the raw value is kept)", *key
        )
