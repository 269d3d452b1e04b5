"""``scan``: a virus scan by ClamAV (clamd), on its own (``scan=true`` adds it to the others)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from common.operations.base import Operation


@dataclass(frozen=True)
class ScanOptions:
    scan: ClassVar[bool] = True  # not an option: this operation always scans


OPERATION = Operation(
    name="scan",
    options=ScanOptions,
    runner="worker.scan:run",
    summary="Scan a file for viruses with ClamAV",
    description="Send each FILE to clamd (CLAMD_URL) and report virusScan: infected, the "
    "signature found, the engine and database versions. A file clamd could not scan whole "
    "is reported as not scanned, never as clean.",
    examples=("exifq scan upload.jpg",),
)
