"""``hash``: perceptual and cryptographic hashes of a file."""

from __future__ import annotations

from dataclasses import dataclass

from common.operations.base import Operation
from common.options import option

HASH_TYPES = ("phash", "dhash", "ahash", "whash", "bmh0", "bmh1", "md5", "sha256")
DEFAULT_HASH_TYPES = ("phash", "md5", "sha256")


@dataclass(frozen=True)
class HashOptions:
    types: tuple[str, ...] = option(
        DEFAULT_HASH_TYPES, "hash types", choices=HASH_TYPES, empty_is_default=True
    )
    fast: bool = option(False, "decode JPEGs at reduced scale first (may differ by a few bits)")
    scan: bool = option(False, "scan the file for viruses with ClamAV (adds virusScan)")


OPERATION = Operation(
    name="hash",
    options=HashOptions,
    runner="worker.media.operations:hash_",
    summary="Perceptual and cryptographic hashes",
    description="Hash each FILE: pHash, dHash, aHash, wHash (as imagehash), BlockMeanHash "
    "(as OpenCV), MD5 and SHA-256.",
    examples=("exifq hash --types phash,dhash photo.jpg", "exifq hash --local photos/"),
)
