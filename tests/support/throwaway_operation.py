"""A throw-away operation, added through the registry alone: the tests list this module in
``OPERATION_MODULES`` (the API, the worker and the command line import it at start-up) and
check that it is served, run, batched, downloadable and documented like a built-in one."""

from __future__ import annotations

from dataclasses import dataclass

from common.operations import Limits, Operation, Outcome, Source, register
from common.options import option


@dataclass(frozen=True)
class TallyOptions:
    byte: int = option(255, "the byte value to count", minimum=0, maximum=255)
    reverse: bool = option(False, "also give the file reversed")


def tally(source: Source, options: TallyOptions, limits: Limits) -> Outcome:
    """Count one byte value; the "cleaned" file is the input, reversed when asked."""
    result = {
        "fileName": source.name,
        "count": source.data.count(bytes([options.byte])),
        "format": source.format,
    }
    cleaned = source.data[::-1] if options.reverse else source.data
    return Outcome(result, cleaned=cleaned, cleaned_type="application/octet-stream")


OPERATION = register(
    Operation(
        name="tally",
        options=TallyOptions,
        runner="tests.support.throwaway_operation:tally",
        summary="Count a byte value (a test's throw-away operation)",
        produces_file=True,
    )
)
