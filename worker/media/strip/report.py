"""The strip report: what was found, removed and kept, as the API's ``GET /api/v1/remove`` shows it.

Metadata groups are named the same way in every container: ``exif`` (IFD0 and
Exif IFD tags), ``gps``, ``makerNotes``, ``thumbnail`` (EXIF IFD1 or JFIF
thumbnail), ``xmp``, ``iptc``, ``photoshop``, ``icc``, ``orientation``,
``copyright``, ``comment``, ``text`` (PNG text chunks), ``time``, ``mpf``
(multi-picture index), ``appendedImages`` (images after the end of the main
one), ``flashpix``, ``geotiff`` and ``vendor`` (maker or application blocks).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Report:
    """Collects, while a container is rewritten, every segment dropped and every group seen."""

    format: str
    removed: list[dict] = field(default_factory=list)
    found: set[str] = field(default_factory=set)
    kept: set[str] = field(default_factory=set)

    def remove(self, kind: str, size: int, *groups: str) -> None:
        """Record a segment/chunk/block of ``size`` bytes left out of the output."""
        self.removed.append({"type": kind, "size": size})
        self.found.update(groups)

    def replaced(
        self, kind: str, old: list[tuple[int, bytes]], written: bytes | memoryview | None
    ) -> None:
        """Record blocks that a rewritten one replaces: ``old`` holds, for each, the length of
        ``removed`` when it was met (to keep file order) and its bytes. A single old block
        identical to the one ``written`` was not removed at all (stripping is idempotent)."""
        for index, block in reversed(old):
            if not (len(old) == 1 and block == written):
                self.removed.insert(index, {"type": kind, "size": len(block)})

    def keep(self, group: str) -> None:
        """Record a metadata group that the output still carries (because ``keep`` asked)."""
        self.found.add(group)
        self.kept.add(group)

    def to_dict(self, bytes_before: int, bytes_after: int) -> dict:
        """The JSON body: camelCase keys as in DESIGN.md."""
        return {
            "format": self.format,
            "removed": self.removed,
            "removedGroups": sorted(self.found - self.kept),
            "kept": sorted(self.kept),
            "bytesBefore": bytes_before,
            "bytesAfter": bytes_after,
        }
