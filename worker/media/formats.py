"""Recognise an image format from its first bytes, never from its file name."""

from __future__ import annotations

from dataclasses import dataclass

from common.errors import UnsupportedFormat


@dataclass(frozen=True)
class Format:
    """An image container we handle."""

    name: str  # short name used in results: "jpg", "png", "gif", "webp", "tiff", "heic", ...
    mime: str
    extension: str  # the usual file extension, with the dot


JPEG = Format("jpg", "image/jpeg", ".jpg")
PNG = Format("png", "image/png", ".png")
GIF = Format("gif", "image/gif", ".gif")
WEBP = Format("webp", "image/webp", ".webp")
TIFF = Format("tiff", "image/tiff", ".tif")
HEIC = Format("heic", "image/heic", ".heic")
HEIF = Format("heif", "image/heif", ".heif")
AVIF = Format("avif", "image/avif", ".avif")
BMP = Format("bmp", "image/bmp", ".bmp")

ALL: tuple[Format, ...] = (JPEG, PNG, GIF, WEBP, TIFF, HEIC, HEIF, AVIF, BMP)

# ISO BMFF major brands (ISO/IEC 23008-12 Annex B, AV1 Image File Format §9).
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"mif2"}
_AVIF_BRANDS = {b"avif", b"avis"}


def sniff(head: bytes) -> Format | None:
    """Return the format whose signature starts ``head`` (16+ bytes is enough), or ``None``."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return TIFF
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIC_BRANDS:
            return HEIC
        if brand in _AVIF_BRANDS:
            return AVIF
        if brand in _HEIF_BRANDS:
            return HEIF
        return None
    if head[:2] == b"BM" and len(head) >= 18 and head[14] in (12, 40, 52, 56, 64, 108, 124):
        return BMP
    return None


def require_format(data: bytes) -> Format:
    """Like :func:`sniff`, but raise ``UnsupportedFormat`` for anything we don't handle."""
    if not data:
        raise UnsupportedFormat("empty file")
    fmt = sniff(data[:32])
    if fmt is None:
        raise UnsupportedFormat(
            "not a supported image (JPEG, PNG, GIF, WebP, TIFF, HEIC/HEIF, AVIF, BMP)"
        )
    return fmt
