"""The metadata payloads a container walk meets, read once the walk is done, in precedence order.

Where several blocks could supply the orientation or the credits that ``keep``
carries over, EXIF wins over XMP, which wins over IPTC and plain text fields
(the Metadata Working Group's "Guidelines for Handling Image Metadata" 2.0,
§4.1 reconciliation: the native EXIF value first).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .exif import Retained, read_exif
from .iptc import read_iptc, read_photoshop
from .report import Report
from .xmp import read_xmp

Payload = bytes | memoryview


@dataclass
class Sources:
    """Payloads collected during a walk; :meth:`read` turns them into groups and kept values."""

    exif: list[Payload] = field(default_factory=list)
    xmp: list[Payload] = field(default_factory=list)
    photoshop: list[Payload] = field(default_factory=list)
    iptc: list[bytes] = field(default_factory=list)
    credits: list[tuple[bytes | None, bytes | None]] = field(default_factory=list)
    # Each EXIF block removed: where it falls in ``report.removed`` and its bytes, for
    # ``Report.replaced`` once the block written in its place is known.
    exif_removals: list[tuple[int, bytes]] = field(default_factory=list)

    def add_exif(self, body: Payload, block: Payload, report: Report) -> None:
        """An EXIF ``block`` (segment or chunk) left out; ``body`` is its TIFF data."""
        self.exif.append(body)
        self.exif_removals.append((len(report.removed), bytes(block)))

    def read(self, report: Report, keep: frozenset[str]) -> Retained:
        """Record in ``report`` the groups the payloads hold; return what ``keep`` may carry.

        EXIF is always read (its groups go in the report); XMP, the costly
        one to parse, only while ``keep`` still wants a value.
        """
        retained = Retained()
        for block in self.exif:
            report.found.update(read_exif(block, retained))
        for packet in self.xmp:
            if wanted := retained.wants(keep):
                read_xmp(packet, retained, wanted)
        if self.photoshop:
            report.found.update(read_photoshop(b"".join(self.photoshop), retained))
        for records in self.iptc:
            read_iptc(records, retained)
        for artist, copyright in self.credits:
            retained.offer(artist=artist, copyright=copyright)
        return retained
