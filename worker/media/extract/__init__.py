"""Image metadata extraction: bytes in, DESIGN.md's ``metadata`` object out.

:func:`extract_metadata` sniffs the format from the bytes, walks the container
for its metadata blocks (:mod:`worker.media.containers`), reads EXIF and maker notes with
ExifTool's tag tables (:mod:`.exif`), IPTC (:mod:`.iptc`), XMP (:mod:`.xmp`) and
the ICC profile (:mod:`.icc`), describes the image from its header
(:mod:`.image`) and, unless ``pixels=False``, reads the first frame's pixels for the
pHash (band by band: :mod:`worker.media.banded`) and the predominant colours
(:mod:`.colors`, from a reduced decode: :mod:`worker.media.reduced`).

With ``pixels=False`` nothing is decoded: ``pHash`` and ``colors`` are ``null``.
A file whose pixels cannot be decoded (truncated entropy-coded data, a codec
Pillow lacks, a JPEG that is metadata only, without any scan) still yields its
metadata, as ExifTool reads it: the pixel fields are ``null`` and a warning says
why. When even the image header cannot be read, the file is accepted only if
its container was walked whole (:func:`readable_container`); else it is
``corrupt_image``.
"""

from __future__ import annotations

import struct
import warnings
from typing import TYPE_CHECKING

from common.errors import CorruptImage, ExifqError

from .. import containers
from ..containers import Blocks
from ..digests import md5_and_sha256
from ..formats import Format, require_format
from ..headers import Header, jpeg_header
from ..pixel_limits import DEFAULT_APPROX_PIXELS, DEFAULT_MAX_PIXELS, check_pixel_count
from ..reasons import reason, undecodable
from . import exiftool_funcs  # noqa: F401 - registers the conversion helpers
from .exif import ExifReader
from .icc import read_icc
from .image import image_info, mime_type
from .iptc import photoshop_iptc_blocks, read_iptc_blocks
from .iptcprint import printed_iptc
from .summary import datetime_original, gps, orientation
from .tagstore import TagStore
from .xmp import read_xmp

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["extract_metadata"]

# ExifTool family-1 groups -> DESIGN.md's ``exif`` sections (ImageKit's names)
EXIF_SECTIONS = {
    "IFD0": "image",
    "IFD1": "thumbnail",
    "ExifIFD": "exif",
    "GPS": "gps",
    "InteropIFD": "interoperability",
}
# what ExifTool calls the file type, for the conditions in its tables
_FILE_TYPES = {
    "jpg": "JPEG",
    "tiff": "TIFF",
    "png": "PNG",
    "webp": "RIFF",
    "heic": "MOV",
    "heif": "MOV",
    "avif": "MOV",
    "gif": "GIF",
    "bmp": "BMP",
}
# (offset tag, length tag, image tag) for images embedded in EXIF (ExifTool's Composite
# tags of the same names, reported in the group of their offset tag)
_EMBEDDED = (
    ("ThumbnailOffset", "ThumbnailLength", "ThumbnailImage"),
    ("PreviewImageStart", "PreviewImageLength", "PreviewImage"),
    ("JpgFromRawStart", "JpgFromRawLength", "JpgFromRaw"),
    ("OtherImageStart", "OtherImageLength", "OtherImage"),
)


VALUES = ("raw", "printed")


def extract_metadata(
    data: bytes,
    name: str,
    *,
    pixels: bool = True,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    values: str = "raw",
    fast: bool = False,
    approx_pixels: int = DEFAULT_APPROX_PIXELS,
) -> dict:
    """The ``metadata`` object of an Extract result for the image ``data`` (named ``name``).

    With ``pixels``, ``pHash`` is imagehash's exactly (or, with ``fast``, from a reduced
    decode) and ``colors`` come from a decode of at most about ``approx_pixels``
    (:func:`worker.media.pixels.hash_and_colors`: bounded memory).

    ``values="raw"`` gives tag values as ``exiftool -n`` does; ``"printed"`` as ExifTool
    prints them (``PrintConv``: ``"1/1000"``, ``"Fired, Return not detected"``).

    Raises ``UnsupportedFormat`` (not an image we handle, whatever the name says),
    ``CorruptImage`` (malformed headers, with no whole container to read instead; pixels
    that cannot be decoded only leave ``pHash`` and ``colors`` null, with a warning),
    ``DecompressionBomb`` (declared size beyond ``max_pixels``, or an XML/zlib bomb).
    """
    if values not in VALUES:
        raise ValueError(f"values must be one of {VALUES}, not {values!r}")
    fmt = require_format(data)
    try:
        return _extract(data, name, fmt, pixels=pixels, max_pixels=max_pixels, values=values,
                        fast=fast, approx_pixels=approx_pixels)  # fmt: skip
    except ExifqError:
        raise
    except RecursionError:
        raise CorruptImage("metadata nested too deeply") from None
    except (struct.error, IndexError, ValueError, OverflowError) as exc:
        # a structure our walkers did not bounds-check well enough: still bad input
        raise CorruptImage(f"malformed {fmt.name} metadata: {reason(exc)}") from None


def _extract(data: bytes, name: str, fmt: Format, **options: object) -> dict:
    with warnings.catch_warnings():
        # Pillow warns (UserWarning) about the malformed EXIF it meets while opening;
        # we report our own reading of it in metadata.warnings instead
        warnings.simplefilter("ignore")
        return _extract_quietly(data, name, fmt, **options)


def _extract_quietly(
    data: bytes, name: str, fmt: Format, *, pixels: bool, max_pixels: int, values: str,
    fast: bool, approx_pixels: int,
) -> dict:  # fmt: skip
    try:
        image, fmt = _open(data, fmt, pixels=pixels, max_pixels=max_pixels)
    except CorruptImage as exc:
        image, unreadable = None, exc
    blocks = containers.locate(data, fmt.name)
    if image is None and not readable_container(fmt, blocks):
        raise unreadable
    store = _read_exif(blocks, fmt, len(data))
    exif = _exif_sections(store)
    xmp, xmp_warnings = read_xmp(_xmp_packets(blocks))
    printed = values == "printed"
    iptc = read_iptc_blocks(_iptc_blocks(blocks)) if blocks.iptc else {}
    icc = read_icc(blocks.icc) if blocks.icc else None
    problems = store.warnings + xmp_warnings
    if blocks.truncated:
        problems.append("container structure is truncated")
    if image is None:
        problems.append(_unreadable(fmt, blocks, unreadable))
    metadata = {
        "file": _file_info(data, name, mime_type(fmt, blocks)),
        "image": image_info(
            image, fmt, blocks, orientation=orientation(exif, xmp), has_icc=icc is not None
        ),
        "exif": _exif_sections(store, printed=True) if printed else exif,
        "gps": gps(exif.get("gps", {}), xmp),
        "iptc": printed_iptc(iptc) if printed else iptc,
        "xmp": read_xmp(_xmp_packets(blocks), printed=True)[0] if printed else xmp,
        "icc": icc,
        "comments": blocks.comments,
        "datetimeOriginal": datetime_original(exif, xmp, iptc),
        "pHash": None,
        "colors": None,
        "warnings": problems,
    }
    if pixels and image is not None:
        _pixel_fields(data, image, metadata, fast, max_pixels, approx_pixels)
    return metadata


def _open(
    data: bytes, fmt: Format, *, pixels: bool, max_pixels: int
) -> tuple[Image.Image | Header, Format]:
    """The image opened lazily (header only): without pixels, a JPEG's header as Pillow
    would state it, without importing Pillow (:mod:`worker.media.headers`) when it can."""
    if not pixels and fmt.name == "jpg":
        header = jpeg_header(data)
        if header is not None:
            check_pixel_count(header.width, header.height, max_pixels)
            return header, fmt
    from ..decode import open_image

    return open_image(data, max_pixels=max_pixels)


def _pixel_fields(
    data: bytes, image: Image.Image, metadata: dict, fast: bool, max_pixels: int, approx: int
) -> None:
    """``pHash`` and ``colors`` (bounded memory: :func:`worker.media.pixels.hash_and_colors`);
    left ``null`` with a warning when the pixels cannot be decoded."""
    from ..pixels import hash_and_colors

    try:
        fields = hash_and_colors(
            data, image, fast=fast, max_pixels=max_pixels, approx_pixels=approx
        )
        metadata.update(fields)
    except CorruptImage as exc:
        metadata["warnings"].append(exc.message)
    except (OSError, ValueError, SyntaxError) as exc:
        metadata["warnings"].append(undecodable(exc).message)


def _unreadable(fmt: Format, blocks: Blocks, error: CorruptImage) -> str:
    if fmt.name == "jpg" and not blocks.info.get("sos"):
        return "JPEG has no image data (no SOS): metadata only"
    return f"the image data cannot be read: {error.message}"


def readable_container(fmt: Format, blocks: Blocks) -> bool:
    """Whether a file Pillow cannot open still has a whole container to read metadata from:
    walked to its end without truncation, with the parts its format requires (JPEG: up to a
    scan or to EOI, as a metadata-only JPEG; PNG: IHDR; WebP: an image chunk; HEIF: a
    ``meta`` box). TIFF and BMP have no such structure apart from what Pillow reads."""
    info = blocks.info
    if blocks.truncated:
        return False
    if fmt.name == "jpg":
        return bool(info.get("sos") or info.get("eoi"))
    if fmt.name == "png":
        return "width" in info
    if fmt.name == "webp":
        return bool(info.get("lossy") or info.get("lossless") or "vp8x_flags" in info)
    if fmt.name in ("heic", "heif", "avif"):
        return info.get("primary_item") is not None
    return fmt.name == "gif"


def _file_info(data: bytes, name: str, mime: str) -> dict:
    md5, sha256 = md5_and_sha256(data)
    return {"name": name, "size": len(data), "mimeType": mime, "md5": md5, "sha256": sha256}


def _read_exif(blocks: Blocks, fmt: Format, file_size: int) -> TagStore:
    store = TagStore()
    file_type = _FILE_TYPES.get(fmt.name, fmt.name.upper())
    for tiff, position in blocks.exif:
        reader = ExifReader(store, file_type=file_type, tiff_pos=max(position, 0))
        reader.read_tiff(tiff)
        limit = file_size if position >= 0 else len(tiff)
        _embedded_images(store, limit)
    for kind, chunks in store.blocks.items():
        if kind == "xmp":
            blocks.xmp.extend(chunks)
        elif kind == "iptc" and blocks.iptc is None:
            blocks.iptc = chunks[0]
        elif kind == "photoshop" and blocks.iptc is None:
            blocks.iptc = containers.photoshop_iptc(chunks[0])
        elif kind == "icc" and blocks.icc is None:
            blocks.icc = chunks[0]
    return store


def _embedded_images(store: TagStore, limit: int) -> None:
    """Report embedded images (ExifTool's ThumbnailImage, PreviewImage, ...) by size."""
    for group in list(store.found):
        for offset_tag, length_tag, image_tag in _EMBEDDED:
            offset = store.value(group, offset_tag)
            length = store.value(group, length_tag)
            if not isinstance(offset, int) or not isinstance(length, int) or length <= 0:
                continue
            if offset + length > limit:
                store.warn(f"{image_tag} is outside the file", minor=True)
                continue
            store.add_summary(group, image_tag, f"(Binary data {length} bytes)")


def _exif_sections(store: TagStore, printed: bool = False) -> dict[str, dict]:
    sections: dict[str, dict] = {name: {} for name in EXIF_SECTIONS.values()}
    sections["makernote"] = {}
    other: dict[str, dict] = {}
    for group, tags in store.groups(printed).items():
        if group in EXIF_SECTIONS:
            sections[EXIF_SECTIONS[group]] = tags
        elif store.group0.get(group) == "MakerNotes":
            sections["makernote"][group] = tags
        else:
            other[group] = tags
    if other:
        sections["other"] = other
    return sections


def _iptc_blocks(blocks: Blocks) -> list[bytes]:
    """The file's IPTC blocks: each IPTC resource of its Photoshop resources when it has
    several, else the one block the containers found."""
    if blocks.photoshop:
        split = photoshop_iptc_blocks(blocks.photoshop)
        if len(split) > 1 and b"".join(split) == blocks.iptc:
            return split
    return [blocks.iptc]


def _xmp_packets(blocks: Blocks) -> list[bytes]:
    packets = list(blocks.xmp)
    for parts in blocks.xmp_extended.values():
        packets.append(b"".join(parts[offset] for offset in sorted(parts)))
    return packets
