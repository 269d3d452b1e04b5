"""Recognise an image or video format from its first bytes, never from its file name."""

from __future__ import annotations

from dataclasses import dataclass

from common.errors import UnsupportedFormat


@dataclass(frozen=True)
class Format:
    """An image or video container we handle."""

    name: str  # short name used in results: "jpg", "png", "gif", "webp", "tiff", "heic", ...
    mime: str
    extension: str  # the usual file extension, with the dot
    kind: str = "image"  # "image" or "video" (worker.media.video)


JPEG = Format("jpg", "image/jpeg", ".jpg")
PNG = Format("png", "image/png", ".png")
GIF = Format("gif", "image/gif", ".gif")
WEBP = Format("webp", "image/webp", ".webp")
TIFF = Format("tiff", "image/tiff", ".tif")
HEIC = Format("heic", "image/heic", ".heic")
HEIF = Format("heif", "image/heif", ".heif")
AVIF = Format("avif", "image/avif", ".avif")
BMP = Format("bmp", "image/bmp", ".bmp")

# Videos (worker.media.video): QuickTime / ISO BMFF, Matroska, AVI.
MP4 = Format("mp4", "video/mp4", ".mp4", "video")
MOV = Format("mov", "video/quicktime", ".mov", "video")
M4V = Format("m4v", "video/x-m4v", ".m4v", "video")
THREE_GP = Format("3gp", "video/3gpp", ".3gp", "video")
THREE_G2 = Format("3g2", "video/3gpp2", ".3g2", "video")
WEBM = Format("webm", "video/webm", ".webm", "video")
MKV = Format("mkv", "video/x-matroska", ".mkv", "video")
AVI = Format("avi", "video/x-msvideo", ".avi", "video")

ALL: tuple[Format, ...] = (JPEG, PNG, GIF, WEBP, TIFF, HEIC, HEIF, AVIF, BMP)
VIDEOS: tuple[Format, ...] = (MP4, MOV, M4V, THREE_GP, THREE_G2, WEBM, MKV, AVI)

# ISO BMFF major brands (ISO/IEC 23008-12 Annex B, AV1 Image File Format §9). ``heix`` (HEVC
# with extended ranges) is a HEIF file to ExifTool (its %ftypLookup), so it is one here too.
_HEIC_BRANDS = {b"heic", b"hevc", b"hevx", b"heim", b"heis"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"mif2", b"heix"}
# Image sequences: the MIME type ExifTool gives them (their format's is the still image's).
SEQUENCE_MIME = {b"hevc": "image/heic-sequence", b"msf1": "image/heif-sequence"}
_AVIF_BRANDS = {b"avif", b"avis"}
# Video brands (the registered list at mp4ra.org; ExifTool's %ftypLookup in QuickTime.pm).
_MOV_BRANDS = {b"qt  "}
_M4V_BRANDS = {b"M4V ", b"M4VH", b"M4VP"}
_MP4_BRANDS = set(
    b"isom iso2 iso3 iso4 iso5 iso6 iso7 iso8 iso9 mp41 mp42 mp4v avc1 dash mmp4 MSNV NDAS "
    b"NDSC NDSH NDSM NDSP NDSS NDXC NDXH NDXM NDXP NDXS XAVC caqv CAEP".split()
) | {b"F4V ", b"F4P "}
# Top-level atoms a QuickTime movie without ``ftyp`` may start with (QuickTime File Format).
_MOV_FIRST_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


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
        return _bmff(head)
    if head[4:8] in _MOV_FIRST_ATOMS:
        return MOV
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # EBML: the DocType ("webm"/"matroska") is usually within the first 40 bytes
        return WEBM if b"\x42\x82\x84webm" in head[:64] else MKV
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return AVI
    if head[:2] == b"BM" and len(head) >= 18 and head[14] in (12, 40, 52, 56, 64, 108, 124):
        return BMP
    return None


def _bmff(head: bytes) -> Format | None:
    """The format of an ``ftyp`` box: by its major brand; for a video, else by the first
    compatible brand we know (as ExifTool does for ``mp41``/``mp42``/``avc1``/``qt  ``)."""
    brand = head[8:12]
    if brand in _HEIC_BRANDS:
        return HEIC
    if brand in _AVIF_BRANDS:
        return AVIF
    if brand in _HEIF_BRANDS:
        return HEIF
    if brand in _MOV_BRANDS:
        return MOV
    if brand in _M4V_BRANDS:
        return M4V
    if brand.startswith(b"3g2"):
        return THREE_G2
    if brand.startswith((b"3gp", b"3gs", b"3ge", b"3gg", b"3gr", b"3gt")):
        return THREE_GP
    if brand in _MP4_BRANDS:
        return MP4
    size = int.from_bytes(head[:4], "big")
    for start in range(16, min(size, len(head)) - 3, 4):
        compatible = head[start : start + 4]
        if compatible in _MOV_BRANDS:
            return MOV
        if compatible in _MP4_BRANDS:
            return MP4
    return None


_IMAGES = "JPEG, PNG, GIF, WebP, TIFF, HEIC/HEIF, AVIF, BMP"
_VIDEOS = "MP4/MOV/M4V/3GP, WebM/MKV, AVI"


def require_format(data: bytes, kinds: tuple[str, ...] = ("image",)) -> Format:
    """Like :func:`sniff`, but raise ``UnsupportedFormat`` for anything we don't handle, or
    whose ``kind`` is not in ``kinds`` (images only unless asked)."""
    if not data:
        raise UnsupportedFormat("empty file")
    fmt = sniff(data[:64])
    if fmt is None or fmt.kind not in kinds:
        wanted = ", ".join(_IMAGES if kind == "image" else _VIDEOS for kind in kinds)
        noun = "image" if kinds == ("image",) else "file"
        raise UnsupportedFormat(f"not a supported {noun} ({wanted})")
    return fmt
