"""``extract``: EXIF, IPTC, XMP, GPS, ICC and image facts of a file."""

from __future__ import annotations

from dataclasses import dataclass

from common.operations.base import Operation
from common.options import option


@dataclass(frozen=True)
class ExtractOptions:
    pixels: bool = option(True, "compute pHash and predominant colours (decodes the image)")
    fast: bool = option(
        False,
        "pHash from a reduced decode too, as hash --fast (may differ by a few bits): a "
        "fraction of the time and memory on large photos",
    )
    scan: bool = option(False, "scan the file for viruses with ClamAV (adds virusScan)")
    faces: bool = option(False, "face boxes [x, y, w, h] in the stored frame, with confidences")
    histogram: bool = option(False, "256-bin red, green and blue histograms (reduced decode)")
    page: int = option(1, "the page or frame read for pixels (1-based)", minimum=1, maximum=100_000)
    values: str = option(
        "raw",
        "tag values as exiftool -n gives them (raw) or as ExifTool prints them (printed: "
        "1/250, Fired)",
        choices=("raw", "printed"),
        cli="--printed",
        cli_const="printed",
    )


OPERATION = Operation(
    name="extract",
    options=ExtractOptions,
    runner="worker.media.operations:extract",
    summary="Read EXIF, IPTC, XMP, GPS, ICC and image facts",
    description="Read the metadata of each FILE: EXIF (with maker notes), IPTC, XMP, GPS, "
    "the ICC profile and the image's own facts, as JSON.",
    examples=("exifq extract photo.jpg", "exifq extract --local --no-pixels photos/"),
    kinds=("image", "video"),
)
