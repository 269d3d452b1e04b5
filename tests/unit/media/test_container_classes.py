"""The classes of hostile or unusual files that the container readers decide, on files built here
and checked against ExifTool: zlib bombs in PNG text and ``iCCP`` chunks (before and after
``IDAT``), a valid 1 MB ``iCCP``, an XXE payload in XMP, HEIF brands and their MIME types, a JPEG
with no scan, pixels that cannot be decoded, and vendor boxes at the top level of a HEIF file.
Each is run through extract, strip and hash as a client's job would run it."""

from __future__ import annotations

import io
import re
import struct
import zlib
from functools import cache

import pytest
from PIL import Image, ImageCms

from common.errors import CorruptImage, DecompressionBomb, ExifqError
from tests.conftest import exiftool
from tests.unit.media.test_strip import assert_same_pixels
from tests.unit.media.test_strip_containers import picture
from worker.media.containers import bmff
from worker.media.decode import _configure_pillow
from worker.media.extract import extract_metadata
from worker.media.hashes import hash_image
from worker.media.strip import strip_metadata

XXE = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/" dc:format="&xxe;"/></rdf:RDF></x:xmpmeta>'
)
OPERATIONS = {
    "extract": lambda data: extract_metadata(data, "f"),
    "extract without pixels": lambda data: extract_metadata(data, "f", pixels=False),
    "hash": lambda data: hash_image(data, ["phash", "dhash"]),
    "strip": lambda data: strip_metadata(data),
    "strip keeping icc": lambda data: strip_metadata(data, keep=frozenset({"icc"})),
}


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(extra: bytes = b"", *, after_idat: bytes = b"") -> bytes:
    """A 24×16 PNG with ``extra`` chunks right after IHDR and ``after_idat`` before IEND."""
    out = io.BytesIO()
    picture((24, 16)).save(out, "PNG")
    data = out.getvalue()
    iend = data.index(b"IEND") - 4
    return data[:33] + extra + data[33:iend] + after_idat + data[iend:]


@cache
def bomb() -> bytes:
    """200 MiB of zeros in about 200 kB of zlib."""
    packer, zeros = zlib.compressobj(9), bytes(1 << 20)
    return b"".join(packer.compress(zeros) for _ in range(200)) + packer.flush()


BOMBS = {
    "zTXt": b"Comment\x00\x00",
    "iTXt": b"XML:com.adobe.xmp\x00\x01\x00\x00\x00",
    "iCCP": b"ICC profile\x00\x00",
}


@pytest.mark.parametrize("where", ["before IDAT", "after IDAT"])
@pytest.mark.parametrize("kind", sorted(BOMBS))
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_a_zlib_bomb_in_a_png_chunk_is_a_decompression_bomb_everywhere(kind, where, operation):
    bad = chunk(kind.encode(), BOMBS[kind] + bomb())
    data = png(bad) if where == "before IDAT" else png(after_idat=bad)
    with pytest.raises(DecompressionBomb) as info:
        OPERATIONS[operation](data)
    assert info.value.code == "decompression_bomb"


@cache
def large_profile() -> bytes:
    """A valid ICC profile of over 1 MB: sRGB with a private tag of incompressible bytes."""
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    count = struct.unpack(">I", srgb[128:132])[0]
    table_end = 132 + 12 * count
    payload = bytes(range(256)) * 4096 + zlib.compress(bytes(range(256)) * 64)  # ~1 MB
    shift = 12  # one more tag entry
    tags = b""
    for i in range(count):
        sig, offset, size = struct.unpack(">4sII", srgb[132 + 12 * i : 144 + 12 * i])
        tags += struct.pack(">4sII", sig, offset + shift, size)
    body = srgb[table_end:]
    private_at = 128 + 4 + len(tags) + 12 + len(body)
    private_at += -private_at % 4
    tags += struct.pack(">4sII", b"zzzz", private_at, len(payload))
    profile = srgb[:128] + struct.pack(">I", count + 1) + tags + body
    profile += b"\x00" * (private_at - len(profile)) + payload
    return struct.pack(">I", len(profile)) + profile[4:]


def test_a_png_with_a_1_mb_iccp_chunk_is_read_hashed_and_stripped(tmp_path):
    profile = large_profile()
    assert len(profile) > 1 << 20
    data = png(chunk(b"iCCP", b"big\x00\x00" + zlib.compress(profile)))
    plain = png()
    meta = extract_metadata(data, "big.png")
    assert meta["image"]["hasColorProfile"] and meta["pHash"] is not None
    path = tmp_path / "big.png"
    path.write_bytes(data)
    reference = exiftool("-ICC_Profile:ProfileDescription", path)[0]
    assert meta["icc"]["description"] == reference["ProfileDescription"] == "sRGB built-in"
    assert meta["icc"]["size"] == len(profile)
    assert (
        hash_image(data, ["phash", "dhash"]).hashes == hash_image(plain, ["phash", "dhash"]).hashes
    )
    cleaned = strip_metadata(data, keep=frozenset())
    assert "icc" in cleaned.report["removedGroups"]
    assert "ICC_Profile:ProfileDescription" not in exiftool("-G1", "-", input=cleaned.data)[0]
    assert_same_pixels(plain, cleaned.data)  # Pillow alone cannot open ``data`` itself


def test_xxe_in_xmp_is_skipped_with_a_warning_not_a_bomb():
    out = io.BytesIO()
    picture().save(out, "JPEG", xmp=XXE)
    meta = extract_metadata(out.getvalue(), "xxe.jpg")
    assert meta["xmp"] == {}
    assert any("external entity" in warning for warning in meta["warnings"]), meta["warnings"]
    assert meta["pHash"] is not None  # the rest of the file is read


def heif(brand: bytes) -> bytes:
    """A HEIF file whose major brand is ``brand`` (pillow_heif writes HEVC)."""
    _configure_pillow()
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Samsung", "SM-G991B"
    picture((64, 48)).save(out, "HEIF", exif=exif.tobytes(), quality=90)
    data = out.getvalue()
    return data[:8] + brand + data[12:]


@pytest.mark.parametrize("brand", [b"heic", b"heix", b"mif1", b"hevc", b"msf1"])
def test_heif_brands_get_the_mime_type_exiftool_gives(brand, tmp_path):
    data = heif(brand)
    path = tmp_path / "brand.heic"
    path.write_bytes(data)
    expected = exiftool("-MIMEType", path)[0]["MIMEType"]
    assert extract_metadata(data, "brand.heic", pixels=False)["file"]["mimeType"] == expected


def jpeg_without_scan() -> bytes:
    """SOI, JFIF, EXIF and EOI: what a camera's sidecar or a metadata template looks like."""
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x8298] = "Canon", "EOS R5", "(c) Jane Roe"
    picture().save(out, "JPEG", exif=exif)
    data, pos, kept = out.getvalue(), 2, [b"\xff\xd8"]
    while data[pos + 1] != 0xDA:
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if 0xE0 <= data[pos + 1] <= 0xEF:
            kept.append(data[pos : pos + 2 + length])
        pos += 2 + length
    return b"".join(kept) + b"\xff\xd9"


@pytest.mark.parametrize("pixels", [False, True])
def test_a_jpeg_without_scan_gives_its_metadata(pixels, tmp_path):
    data = jpeg_without_scan()
    path = tmp_path / "noscan.jpg"
    path.write_bytes(data)
    reference = exiftool("-G1", "-n", path)[0]
    meta = extract_metadata(data, "noscan.jpg", pixels=pixels)
    ifd0 = {k.split(":", 1)[1]: v for k, v in reference.items() if k.startswith("IFD0:")}
    assert meta["exif"]["image"] == {k: ifd0[k] for k in meta["exif"]["image"]} and ifd0
    assert set(ifd0) <= set(meta["exif"]["image"])
    assert meta["image"]["width"] is None and meta["pHash"] is None
    assert any("no image data" in warning for warning in meta["warnings"])
    with pytest.raises(CorruptImage):  # nothing to hash, nothing to strip to
        hash_image(data, ["phash"])


def test_a_heif_whose_pixels_cannot_be_decoded_gives_its_metadata(tmp_path):
    # AVIF's brand on HEVC data: the AVIF decoder cannot read it, ExifTool reads the metadata
    data = heif(b"avif")
    path = tmp_path / "odd.avif"
    path.write_bytes(data)
    reference = exiftool("-G1", "-n", path)[0]
    meta = extract_metadata(data, "odd.avif")
    assert meta["exif"]["image"]["Model"] == reference["IFD0:Model"] == "SM-G991B"
    assert (meta["image"]["width"], meta["image"]["height"]) == (
        reference["File:ImageWidth"],
        reference["File:ImageHeight"],
    )
    assert meta["pHash"] is None and meta["colors"] is None and meta["image"]["mode"] is None
    assert any("cannot be read" in warning for warning in meta["warnings"]), meta["warnings"]


def test_a_jpeg_cut_in_its_headers_is_still_corrupt():
    data = jpeg_without_scan()
    with pytest.raises(CorruptImage):
        extract_metadata(data[: len(data) // 2], "cut.jpg", pixels=False)


def with_top_level_boxes(data: bytes) -> bytes:
    """The HEIF with a Samsung ``sefd`` trailer at the end and a ``uuid`` and ``free`` box
    between ``meta`` and ``mdat`` (so every item offset in mdat moves when they go)."""
    top = bmff.boxes(data, 0, len(data))
    mdat = next(box for box in top if box.type == b"mdat")
    sefd = samsung_trailer(
        {0x0A01: (b"Image_UTC_Data", b"1700000000000"), 0x0AA1: (b"MCC_Data", b"310")}
    )
    uuid = bytes(16) + b"vendor private data"
    inserted = bmff.box_bytes(b"uuid", uuid) + bmff.box_bytes(b"free", bytes(40))
    shifted = _shift_iloc(data, top, len(inserted))
    return shifted[: mdat.start] + inserted + shifted[mdat.start :] + bmff.box_bytes(b"sefd", sefd)


def samsung_trailer(blocks: dict[int, tuple[bytes, bytes]]) -> bytes:
    """A Samsung trailer as ExifTool's ``Samsung::ProcessSamsung`` reads it (little-endian):
    data blocks (type, name length, name, value), an ``SEFH`` directory of (type, offset back
    from the directory, size) entries, its length and ``SEFT``."""
    data, placed = b"", []
    for kind, (name, value) in blocks.items():
        block = struct.pack("<HHI", 0, kind, len(name)) + name + value
        placed.append((kind, len(data), len(block)))
        data += block
    entries = b"".join(struct.pack("<HHII", 0, k, len(data) - at, n) for k, at, n in placed)
    directory = b"SEFH" + struct.pack("<II", 107, len(placed)) + entries
    return data + directory + struct.pack("<I", len(directory)) + b"SEFT"


def _shift_iloc(data: bytes, top: list[bmff.Box], shift: int) -> bytes:
    """``data`` with every file offset in its ``iloc`` moved by ``shift``."""
    meta = next(box for box in top if box.type == b"meta")
    iloc = next(box for box in bmff.boxes(data, meta.body + 4, meta.end) if box.type == b"iloc")
    table = bmff.ItemLocations.parse(data, iloc)
    for loc in table.locations:
        if loc.method == 0:
            loc.base += shift if table.base_size else 0
            if not table.base_size:
                loc.extents = [(i, off + shift, ln) for i, off, ln in loc.extents]
    rewritten = table.to_bytes()
    assert len(rewritten) == iloc.end - iloc.start
    return data[: iloc.start] + rewritten + data[iloc.end :]


def test_strip_removes_vendor_boxes_at_the_top_of_a_heif_file():
    data = with_top_level_boxes(heif(b"heic"))
    assert_same_pixels(heif(b"heic"), data)  # the test file itself decodes as the original
    before = exiftool("-G1", "-a", "-n", "-", input=data)[0]
    assert before["Samsung:TimeStamp"] and before["Samsung:MCCData"] == 310  # time and place
    cleaned = strip_metadata(data)
    kinds = [box.type for box in bmff.boxes(cleaned.data, 0, len(cleaned.data))]
    assert kinds == [b"ftyp", b"meta", b"mdat"]
    removed = {entry["type"] for entry in cleaned.report["removed"]}
    assert {"box sefd", "box uuid", "box free", "item Exif"} <= removed
    assert "vendor" in cleaned.report["removedGroups"]
    assert_same_pixels(data, cleaned.data)
    after = exiftool("-G1", "-a", "-", input=cleaned.data)[0]
    assert not [k for k in after if k.split(":")[0] in ("IFD0", "ExifIFD", "Samsung", "XMP-x")]
    assert not [k for k in after if "Samsung" in k or "UUID" in k], after
    assert b"MCC_Data" not in cleaned.data and b"SM-G991B" not in cleaned.data


HOSTILE = {
    "png chunk past the end": lambda: png()[:60],
    "png bad crc": lambda: png()[:40] + b"\x00" + png()[41:],
    "jpeg segment past the end": lambda: jpeg_without_scan()[:30],
    "heif box past its parent": lambda: heif(b"heic")[:200],
    "webp chunk past riff": lambda: b"RIFF\x40\x00\x00\x00WEBPVP8 \xff\x00\x00\x00" + bytes(40),
    "gif without blocks": lambda: b"GIF89a" + bytes(7) + b"\x21\xff",
}
PYTHON = re.compile(r"\bb'|\bb\"|object at 0x|Traceback|Error\(|'[A-Z]{3,4}'|unpack requires")


@pytest.mark.parametrize("name", sorted(HOSTILE))
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_error_messages_are_for_people(name, operation):
    try:
        OPERATIONS[operation](HOSTILE[name]())
    except ExifqError as exc:
        assert not PYTHON.search(exc.message), exc.message


@pytest.mark.parametrize("name", ["odd.avif", "noscan.jpg"])
def test_the_extract_runner_keeps_the_metadata_of_undecodable_files(name):
    from common.operations.base import Limits, Source
    from common.operations.extract import ExtractOptions
    from worker.media.operations import extract

    data = heif(b"avif") if name == "odd.avif" else jpeg_without_scan()
    metadata = extract(Source(name, data), ExtractOptions(), Limits()).result["metadata"]
    assert metadata["exif"]["image"]["Model"] in ("SM-G991B", "EOS R5")
    assert metadata["pHash"] is None and "palette" not in metadata
    assert len(metadata["warnings"]) == 1, metadata["warnings"]


def test_text_beyond_pillows_text_memory_does_not_fail_hash_or_extract(monkeypatch):
    from PIL import PngImagePlugin

    monkeypatch.setattr(PngImagePlugin, "MAX_TEXT_MEMORY", 1 << 20)  # 64 MiB, scaled down
    text = chunk(b"tEXt", b"Comment\x00" + b"x" * 600_000)
    data = png(text * 3)
    hashes = ["phash", "dhash"]
    assert hash_image(data, hashes).hashes == hash_image(png(), hashes).hashes
    meta = extract_metadata(data, "text.png")
    assert meta["pHash"] == hash_image(png(), ["phash"]).hashes["phash"]
    assert meta["comments"] == ["x" * 600_000] * 3
