"""``remove`` (``strip`` on the command line): lossless metadata removal."""

from __future__ import annotations

from dataclasses import dataclass

from common.operations.base import Operation
from common.options import option

# Metadata groups a strip can keep. Rendering needs the first two, so they are
# kept unless dropped; "copyright" keeps Artist/Copyright/Rights.
STRIP_GROUPS = ("icc", "orientation", "copyright")
DEFAULT_KEEP = frozenset({"icc", "orientation"})


@dataclass(frozen=True)
class StripOptions:
    keep: frozenset[str] = option(
        DEFAULT_KEEP, "groups to keep (replaces the default set)", choices=STRIP_GROUPS
    )
    drop: frozenset[str] = option(
        frozenset(), "groups to remove even when kept by default", choices=STRIP_GROUPS
    )
    scan: bool = option(False, "scan the file for viruses with ClamAV (infected: no cleaned file)")

    @property
    def kept(self) -> frozenset[str]:
        """What the strip keeps: ``keep`` without ``drop``."""
        return self.keep - self.drop


OPERATION = Operation(
    name="remove",
    command="strip",
    options=StripOptions,
    runner="worker.media.operations:strip",
    file_runner="worker.media.operations:strip_file",
    produces_file=True,
    summary="Remove metadata losslessly; download the cleaned file for 24 h",
    description="Remove the metadata of each FILE without re-encoding it: the pixels stay "
    "byte for byte the same. Keeps the ICC profile and the orientation unless dropped.",
    examples=(
        "exifq strip photo.jpg -o clean.jpg",
        "exifq strip --local photos/ -o clean/ --drop icc",
    ),
    kinds=("image", "video"),
)
