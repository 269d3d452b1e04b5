"""What each container keeps and drops, on files built here block by block.

Pillow writes the images; the metadata blocks the tests add (JFIF thumbnails,
vendor APPn, segments between progressive scans, PNG private chunks, GIF
application extensions, tiled and BigTIFF files, HEIF items) are assembled
by hand so each rule of the container modules is pinned by one test.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageSequence

from common.errors import BadRequest, UnsupportedFormat
from tests.conftest import exiftool
from tests.unit.media.test_strip import assert_same_pixels, assert_same_scans, frames
from worker.media.decode import _configure_pillow
from worker.media.strip import strip_metadata

ORIENTATION, MAKE, ARTIST, COPYRIGHT, GPS_IFD, EXIF_IFD = (
    0x0112,
    0x010F,
    0x013B,
    0x8298,
    0x8825,
    0x8769,
)
MINIMAL_IFD0 = {ORIENTATION, 0x011A, 0x011B, 0x0128, 0x0213}  # + X/YResolution, unit, YCbCr pos.
NOTHING = frozenset()
EVERYTHING = frozenset({"icc", "orientation", "copyright"})
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:tiff="http://ns.adobe.com/tiff/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    b'tiff:Orientation="3"><dc:creator><rdf:Seq><rdf:li>Xmp Author</rdf:li></rdf:Seq>'
    b"</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>"
)


def picture(size: tuple[int, int] = (48, 32), mode: str = "RGB") -> Image.Image:
    """A small image with detail in every channel, so pixel comparisons mean something."""
    rng = np.random.default_rng(7)
    channels = len(Image.new(mode, (1, 1)).getbands())
    pixels = rng.integers(0, 256, (size[1], size[0], channels), dtype=np.uint8)
    return Image.fromarray(pixels.squeeze(), mode if mode != "RGB" else None).convert(mode)


def camera_exif(orientation: int = 6) -> bytes:
    """EXIF as a camera writes it: Make, Orientation, credits, an Exif IFD and GPS."""
    exif = Image.Exif()
    exif[ORIENTATION], exif[MAKE] = orientation, "Canon"
    exif[ARTIST], exif[COPYRIGHT] = "Jane Roe", "(c) Jane Roe"
    exif[GPS_IFD] = {1: "N", 2: (55.0, 37.0, 0.0)}
    exif[EXIF_IFD] = {0x9003: "2020:01:01 00:00:00", 0xA431: "SERIAL123"}
    return exif.tobytes()


@functools.cache
def icc_profile() -> bytes:
    """An sRGB profile, built once: lcms stamps each new profile with the current time."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def saved(image: Image.Image, fmt: str, **params) -> bytes:
    _configure_pillow()
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def exif_of(data: bytes) -> Image.Exif:
    _configure_pillow()
    return Image.open(io.BytesIO(data)).getexif()


# --- JPEG ---------------------------------------------------------------------------------


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload


def jpeg_markers(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of every segment before the first SOS."""
    found, pos = [], 2
    while data[pos + 1] != 0xDA:
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        found.append((data[pos + 1], data[pos + 4 : pos + 2 + length]))
        pos += 2 + length
    return found


def after_soi(jpeg: bytes, *segments: bytes) -> bytes:
    return jpeg[:2] + b"".join(segments) + jpeg[2:]


def test_jpeg_drops_every_metadata_segment_and_keeps_decoding_ones():
    plain = saved(picture(), "JPEG", quality=90)
    vendor = [
        segment(0xE3, b"Meta\x00camera"),
        segment(0xEC, b"Ducky\x00\x01"),
        segment(0xEF, b"\x00\x01"),
    ]
    photoshop = segment(
        0xED, b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x08\x1c\x02P\x00\x03Bob"
    )
    loaded = saved(
        picture(), "JPEG", quality=90, exif=camera_exif(), xmp=XMP, icc_profile=icc_profile()
    )
    loaded = after_soi(loaded, *vendor, photoshop, segment(0xFE, b"comment"))
    loaded = after_soi(loaded, segment(0xE2, b"MPF\x00II*\x00"), segment(0xE2, b"FPXR\x00\x00"))
    result = strip_metadata(loaded, keep=NOTHING)
    kinds = [entry["type"] for entry in result.report["removed"]]
    vendors = ["APP2 MPF", "APP2 FPXR", "APP3 Meta", "APP12 Ducky", "APP15", "APP13 Photoshop"]
    assert sorted(kinds) == sorted([*vendors, "COM", "APP1 Exif", "APP1 XMP", "APP2 ICC_PROFILE"])
    assert set(result.report["removedGroups"]) >= {"exif", "gps", "xmp", "iptc", "icc"}
    assert {"comment", "mpf", "flashpix", "vendor", "orientation", "copyright"} <= set(
        result.report["removedGroups"]
    )
    assert [marker for marker, _ in jpeg_markers(result.data)] == [
        marker for marker, _ in jpeg_markers(plain)
    ]
    assert_same_scans(loaded, result.data)
    assert_same_pixels(loaded, result.data)


def test_jpeg_keeps_icc_chunks_and_a_minimal_exif_by_default():
    loaded = saved(picture(), "JPEG", exif=camera_exif(8), icc_profile=icc_profile(), xmp=XMP)
    result = strip_metadata(loaded)
    markers = jpeg_markers(result.data)
    assert [m for m, _ in markers[:3]] == [0xE0, 0xE1, 0xE2]  # JFIF, then Exif, then ICC
    exif = exif_of(result.data)
    assert set(exif) == MINIMAL_IFD0 and exif[ORIENTATION] == 8  # EXIF wins over XMP's 3
    assert not exif.get_ifd(EXIF_IFD) and not exif.get_ifd(GPS_IFD)
    assert Image.open(io.BytesIO(result.data)).info["icc_profile"] == icc_profile()
    assert result.report["kept"] == ["icc", "orientation"]


def test_jpeg_keep_copyright_adds_artist_and_copyright_only():
    result = strip_metadata(saved(picture(), "JPEG", exif=camera_exif()), keep=EVERYTHING)
    exif = exif_of(result.data)
    assert set(exif) == MINIMAL_IFD0 | {ARTIST, COPYRIGHT}
    assert (exif[ARTIST], exif[COPYRIGHT]) == ("Jane Roe", "(c) Jane Roe")


def test_jpeg_orientation_from_xmp_when_exif_has_none():
    result = strip_metadata(saved(picture(), "JPEG", xmp=XMP))
    assert exif_of(result.data)[ORIENTATION] == 3


def test_jpeg_orientation_1_needs_no_exif_at_all():
    result = strip_metadata(saved(picture(), "JPEG", exif=camera_exif(1)))
    assert 0xE1 not in [marker for marker, _ in jpeg_markers(result.data)]
    assert result.report["kept"] == []


def test_jpeg_keeps_adobe_app14_so_cmyk_colours_stay():
    cmyk = saved(picture(mode="CMYK"), "JPEG", quality=95)
    assert any(m == 0xEE for m, _ in jpeg_markers(cmyk))
    result = strip_metadata(after_soi(cmyk, segment(0xE1, b"Exif\x00\x00MM\x00*\x00\x00\x00\x08")))
    assert [m for m, _ in jpeg_markers(result.data)] == [m for m, _ in jpeg_markers(cmyk)]
    assert_same_pixels(cmyk, result.data)


def test_jpeg_jfif_keeps_its_density_but_loses_its_thumbnail():
    plain = saved(picture(), "JPEG", dpi=(300, 300))
    marker, jfif = jpeg_markers(plain)[0]
    assert marker == 0xE0 and jfif.startswith(b"JFIF\x00")
    thumbnail = jfif[:12] + b"\x02\x01" + bytes(range(6))  # a 2x1 RGB thumbnail
    loaded = plain[:2] + segment(0xE0, thumbnail) + plain[2 + 2 + 2 + len(jfif) :]
    result = strip_metadata(loaded)
    assert jpeg_markers(result.data)[0] == (0xE0, jfif[:12] + b"\x00\x00")
    assert Image.open(io.BytesIO(result.data)).info["dpi"] == (300, 300)
    assert {"type": "APP0 JFIF thumbnail", "size": 6} in result.report["removed"]


def test_jpeg_multi_picture_file_loses_the_appended_images():
    mpo = saved(picture(), "MPO", save_all=True, append_images=[picture((24, 16))])
    assert Image.open(io.BytesIO(mpo)).n_frames == 2
    result = strip_metadata(mpo)
    image = Image.open(io.BytesIO(result.data))
    assert image.format == "JPEG" and getattr(image, "n_frames", 1) == 1
    assert {"mpf", "appendedImages"} <= set(result.report["removedGroups"])
    assert result.data.endswith(b"\xff\xd9") and result.data.count(b"\xff\xd8\xff") == 1
    assert_same_pixels(mpo, result.data)


def test_jpeg_segments_between_progressive_scans_are_dropped():
    progressive = saved(picture((64, 64)), "JPEG", progressive=True, quality=90)
    second_scan = progressive.index(b"\xff\xda", progressive.index(b"\xff\xda") + 2)
    extra = segment(0xFE, b"between scans") + segment(0xE1, b"Exif\x00\x00junk")
    loaded = progressive[:second_scan] + extra + progressive[second_scan:]
    result = strip_metadata(loaded, keep=NOTHING)
    assert result.data == strip_metadata(progressive, keep=NOTHING).data
    assert [e["type"] for e in result.report["removed"]] == ["COM", "APP1 Exif"]
    assert_same_pixels(loaded, result.data)


def test_jpeg_junk_fill_bytes_and_trailers_are_dropped():
    plain = saved(picture(), "JPEG")
    dqt = plain.index(b"\xff\xdb")
    loaded = plain[:dqt] + b"\x00\x12" + b"\xff\xff\xff" + plain[dqt:] + b"SEFT trailer"
    result = strip_metadata(loaded, keep=NOTHING)
    assert result.data == strip_metadata(plain, keep=NOTHING).data
    kinds = [entry["type"] for entry in result.report["removed"]]
    assert kinds == ["junk", "trailing data"]
    assert_same_pixels(loaded, result.data)


# --- PNG ----------------------------------------------------------------------------------


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">L", len(body)) + kind + body + struct.pack(">L", zlib.crc32(kind + body))


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    found, pos = [], 8
    while pos < len(data):
        length, kind = struct.unpack_from(">L4s", data, pos)
        found.append((kind, data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return found


def png_with(png: bytes, *chunks: bytes, trailer: bytes = b"") -> bytes:
    """``png`` with ``chunks`` after IHDR (33 bytes in) and ``trailer`` after IEND."""
    return png[:33] + b"".join(chunks) + png[33:] + trailer


def test_png_keeps_rendering_chunks_and_drops_text_time_exif_and_private_ones():
    base = saved(picture(), "PNG", icc_profile=icc_profile())
    loaded = png_with(
        base,
        chunk(b"gAMA", struct.pack(">L", 45455)),
        chunk(b"sBIT", b"\x08\x08\x08"),
        chunk(b"pHYs", struct.pack(">LLB", 2835, 2835, 1)),
        chunk(b"tEXt", b"Software\x00secret editor"),
        chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"private")),
        chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + XMP),
        chunk(b"tIME", b"\x07\xe4\x01\x01\x00\x00\x00"),
        chunk(b"eXIf", camera_exif(6)[6:]),
        chunk(b"prVt", b"vendor data"),
        trailer=b"after IEND",
    )
    result = strip_metadata(loaded)
    assert [kind for kind, _ in png_chunks(result.data)] == [
        b"IHDR", b"eXIf", b"gAMA", b"sBIT", b"pHYs", b"iCCP", b"IDAT", b"IEND",
    ]  # fmt: skip
    exif = exif_of(result.data)
    assert set(exif) == MINIMAL_IFD0 and exif[ORIENTATION] == 6
    assert [e["type"] for e in result.report["removed"]] == [
        "tEXt", "zTXt", "iTXt", "tIME", "eXIf", "prVt", "data after IEND",
    ]  # fmt: skip
    assert {"xmp", "time", "exif", "gps", "vendor", "comment", "text"} <= set(
        result.report["removedGroups"]
    )
    assert_same_pixels(loaded, result.data)
    nothing = strip_metadata(loaded, keep=NOTHING)
    rendering = [b"IHDR", b"gAMA", b"sBIT", b"pHYs", b"IDAT", b"IEND"]
    assert [kind for kind, _ in png_chunks(nothing.data)] == rendering


def test_png_orientation_from_imagemagick_raw_profile():
    tiff = camera_exif(7)
    text = b"\nexif\n" + b"%8d\n" % len(tiff) + tiff.hex().encode()
    loaded = png_with(saved(picture(), "PNG"), chunk(b"tEXt", b"Raw profile type exif\x00" + text))
    result = strip_metadata(loaded)
    assert exif_of(result.data)[ORIENTATION] == 7
    assert "gps" in result.report["removedGroups"]


def test_apng_stays_animated():
    frames_in = [picture(), picture().transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    apng = saved(frames_in[0], "PNG", save_all=True, append_images=frames_in[1:], duration=[70, 90])
    loaded = png_with(apng, chunk(b"tEXt", b"Author\x00me"))
    result = strip_metadata(loaded)
    image = Image.open(io.BytesIO(result.data))
    assert image.n_frames == 2
    assert [f.info["duration"] for f in ImageSequence.Iterator(image)] == [70, 90]
    assert_same_pixels(loaded, result.data)


# --- WebP ---------------------------------------------------------------------------------


def riff_chunks(data: bytes) -> list[bytes]:
    return [kind for kind, _ in riff_chunk_bytes(data)]


def riff_chunk_bytes(data: bytes) -> list[tuple[bytes, bytes]]:
    found, pos = [], 12
    while pos < len(data):
        kind, size = struct.unpack_from("<4sL", data, pos)
        found.append((kind, data[pos : pos + 8 + size + (size & 1)]))
        pos += 8 + size + (size & 1)
    return found


@pytest.mark.parametrize("params", [{"quality": 80}, {"lossless": True}], ids=["lossy", "lossless"])
def test_webp_flags_and_riff_size_follow_what_is_left(params):
    loaded = saved(
        picture(mode="RGBA"),
        "WEBP",
        exif=camera_exif(6),
        xmp=XMP,
        icc_profile=icc_profile(),
        **params,
    )
    assert riff_chunks(loaded)[-2:] == [b"EXIF", b"XMP "]
    result = strip_metadata(loaded)
    data = result.data
    assert struct.unpack_from("<L", data, 4)[0] == len(data) - 8
    assert riff_chunks(data)[0] == b"VP8X" and riff_chunks(data)[-1] == b"EXIF"
    assert b"XMP " not in riff_chunks(data)
    assert data[20] & 0x3C == 0x20 | 0x10 | 0x08  # ICC, alpha, EXIF; no XMP
    assert set(exif_of(data)) == MINIMAL_IFD0
    assert_same_pixels(loaded, data)
    nothing = strip_metadata(loaded, keep=NOTHING).data
    assert not {b"EXIF", b"XMP ", b"ICCP"} & set(riff_chunks(nothing))
    assert nothing[20] & 0x3C == 0x10
    assert_same_pixels(loaded, nothing)


def test_animated_webp_stays_animated():
    frames_in = [picture(mode="RGBA"), picture(mode="RGBA").rotate(180)]
    loaded = saved(
        frames_in[0], "WEBP", save_all=True, append_images=frames_in[1:], duration=[50, 80],
        exif=camera_exif(), xmp=XMP, lossless=True,
    )  # fmt: skip
    result = strip_metadata(loaded, keep=NOTHING)
    assert Image.open(io.BytesIO(result.data)).n_frames == 2 and result.data[20] & 0x02
    animation = [chunk for chunk in riff_chunk_bytes(loaded) if chunk[0] in (b"ANIM", b"ANMF")]
    assert [chunk for chunk in riff_chunk_bytes(result.data) if chunk[0] != b"VP8X"] == animation
    assert_same_pixels(loaded, result.data)


def test_simple_webp_comes_back_unchanged():
    simple = saved(picture(), "WEBP", quality=70)
    assert riff_chunks(simple) == [b"VP8 "]
    result = strip_metadata(simple)
    assert result.data == simple and result.report["removed"] == []


# --- GIF ----------------------------------------------------------------------------------


def application(identifier: bytes, payload: bytes) -> bytes:
    blocks = b"".join(
        bytes([len(payload[i : i + 255])]) + payload[i : i + 255]
        for i in range(0, len(payload), 255)
    )
    return b"\x21\xff\x0b" + identifier + blocks + b"\x00"


def test_gif_drops_comments_and_application_blocks_but_keeps_looping():
    frames_in = [picture().convert("P"), picture().rotate(90).convert("P")]
    gif = saved(
        frames_in[0], "GIF", save_all=True, append_images=frames_in[1:], duration=[40, 60], loop=0,
        comment=b"secret comment",
    )  # fmt: skip
    first_image = gif.index(b"\x21\xf9")
    extras = application(b"XMP DataXMP", XMP) + application(b"MYAPP   1.0", b"vendor")
    extras += application(b"ICCRGBG1012", icc_profile())
    loaded = gif[:first_image] + extras + gif[first_image:] + b"after trailer"
    result = strip_metadata(loaded)
    kinds = [entry["type"] for entry in result.report["removed"]]
    assert kinds.count("Comment") >= 1
    assert {"Application XMP DataXMP", "Application MYAPP   1.0", "data after trailer"} <= set(
        kinds
    )
    assert b"NETSCAPE2.0" in result.data and b"ICCRGBG1012" in result.data
    assert b"secret" not in result.data and b"vendor" not in result.data
    image = Image.open(io.BytesIO(result.data))
    assert image.info["loop"] == 0
    assert [f.info["duration"] for f in ImageSequence.Iterator(image)] == [40, 60]
    assert_same_pixels(loaded, result.data)
    assert b"ICCRGBG1012" not in strip_metadata(loaded, keep=NOTHING).data


# --- TIFF ---------------------------------------------------------------------------------


def test_multipage_tiff_keeps_its_pages_and_only_decoding_tags():
    pages = [picture(), picture((20, 30)).convert("L")]
    info = {270: "private description", 271: "Canon", 305: "editor", 315: "Jane Roe", 700: XMP}
    tiff = saved(
        pages[0], "TIFF", save_all=True, append_images=pages[1:], tiffinfo=info,
        exif=camera_exif(), compression="tiff_lzw",
    )  # fmt: skip
    result = strip_metadata(tiff)
    image = Image.open(io.BytesIO(result.data))
    assert image.n_frames == 2
    for page in ImageSequence.Iterator(image):
        assert not {270, 271, 305, 315, 700, EXIF_IFD, GPS_IFD} & set(page.tag_v2)
    assert_same_pixels(tiff, result.data)
    kept = strip_metadata(tiff, keep=EVERYTHING).data
    assert Image.open(io.BytesIO(kept)).tag_v2[315] == "Jane Roe"


def handmade_tiff(
    order: str, big: bool, pixels: np.ndarray, tiles: int | None, extra: dict[int, bytes]
) -> bytes:
    """An uncompressed RGB TIFF (classic or BigTIFF, strips or tiles) with ASCII ``extra`` tags."""
    height, width, _ = pixels.shape
    blocks = []
    if tiles:
        for top in range(0, height, tiles):
            for left in range(0, width, tiles):
                tile = np.zeros((tiles, tiles, 3), np.uint8)
                part = pixels[top : top + tiles, left : left + tiles]
                tile[: part.shape[0], : part.shape[1]] = part
                blocks.append(tile.tobytes())
    else:
        blocks = [pixels[row : row + 8].tobytes() for row in range(0, height, 8)]
    word, count_code, entry_code = (8, "Q", "HHQ") if big else (4, "L", "HHL")
    header = (b"II" if order == "<" else b"MM") + struct.pack(order + "H", 43 if big else 42)
    header += struct.pack(order + "HH", 8, 0) if big else b""
    data_start = len(header) + word
    offsets, pos = [], data_start
    for block in blocks:
        offsets.append(pos)
        pos += len(block)
    entries = {256: (3, [width]), 257: (3, [height]), 258: (3, [8, 8, 8]), 259: (3, [1])}
    entries |= {262: (3, [2]), 277: (3, [3]), 284: (3, [1])}
    if tiles:
        entries |= {322: (3, [tiles]), 323: (3, [tiles])}
        entries |= {324: (4, offsets), 325: (4, [len(b) for b in blocks])}
    else:
        entries |= {273: (4, offsets), 278: (3, [8]), 279: (4, [len(b) for b in blocks])}
    ifd_at = pos + pos % 2
    table_size = (8 if big else 2) + len(entries | extra) * (20 if big else 12) + word
    values, rows = b"", b""
    for tag in sorted(entries | extra):
        if tag in extra:
            type_, raw = 2, extra[tag] + b"\x00"
            count = len(raw)
        else:
            type_, numbers = entries[tag]
            raw = struct.pack(f"{order}{len(numbers)}{'H' if type_ == 3 else 'L'}", *numbers)
            count = len(numbers)
        if len(raw) <= word:
            slot = raw.ljust(word, b"\x00")
        else:
            slot = struct.pack(order + count_code, ifd_at + table_size + len(values))
            values += raw + b"\x00" * (len(raw) % 2)
        rows += struct.pack(order + entry_code, tag, type_, count) + slot
    ifd = struct.pack(order + ("Q" if big else "H"), len(entries | extra)) + rows + bytes(word)
    first = struct.pack(order + count_code, ifd_at)
    return header + first + b"".join(blocks) + b"\x00" * (pos % 2) + ifd + values


@pytest.mark.parametrize("big", [False, True], ids=["classic", "bigtiff"])
@pytest.mark.parametrize("tiles", [None, 16], ids=["strips", "tiles"])
@pytest.mark.parametrize("order", ["<", ">"], ids=["II", "MM"])
def test_tiff_layouts_strip_to_the_same_pixels(order, tiles, big):
    pixels = np.asarray(picture((40, 36)))
    private = {271: b"Canon", 305: b"secret editor", 316: b"laptop", 33432: b"(c) Jane"}
    tiff = handmade_tiff(order, big, pixels, tiles, private)
    result = strip_metadata(tiff)
    assert result.data[:4] == tiff[:4]
    assert not [word for word in (b"Canon", b"secret", b"laptop", b"Jane") if word in result.data]
    assert tiff_blocks(result.data) == tiff_blocks(tiff)  # ExifTool's view of strips/tiles
    if not (big and order == ">"):  # Pillow 13 cannot open big-endian BigTIFF
        assert np.array_equal(frames(tiff)[0][..., :3], pixels)
        assert_same_pixels(tiff, result.data)
    copyright_kept = strip_metadata(tiff, keep=EVERYTHING).data
    assert exiftool("-IFD0:Copyright", "-", input=copyright_kept)[0]["Copyright"] == "(c) Jane"
    assert strip_metadata(result.data).data == result.data


def tiff_blocks(data: bytes) -> list[bytes]:
    """The strip or tile bytes of IFD0, located by ExifTool."""
    row = exiftool(
        "-n",
        "-b",
        "-IFD0:StripOffsets",
        "-IFD0:StripByteCounts",
        "-IFD0:TileOffsets",
        "-IFD0:TileByteCounts",
        "-",
        input=data,
    )[0]
    kind = "Tile" if "TileOffsets" in row else "Strip"
    offsets = [int(v) for v in str(row[f"{kind}Offsets"]).split()]
    counts = [int(v) for v in str(row[f"{kind}ByteCounts"]).split()]
    return [data[offset : offset + count] for offset, count in zip(offsets, counts, strict=True)]


def test_old_style_jpeg_tiff_is_refused():
    tiff = bytearray(handmade_tiff("<", False, np.zeros((8, 8, 3), np.uint8), None, {}))
    compression = tiff.index(struct.pack("<HHLH", 259, 3, 1, 1))
    tiff[compression + 8 : compression + 10] = struct.pack("<H", 6)
    with pytest.raises(UnsupportedFormat, match="compression 6"):
        strip_metadata(bytes(tiff))


# --- HEIF / AVIF --------------------------------------------------------------------------


def test_heic_loses_exif_and_xmp_items_and_icc_only_when_asked():
    loaded = saved(
        picture((64, 48)), "HEIF", exif=camera_exif(), xmp=XMP, icc_profile=icc_profile()
    )
    result = strip_metadata(loaded)
    assert [e["type"] for e in result.report["removed"]] == ["item Exif", "item XMP"]
    assert {"exif", "gps", "xmp", "copyright"} <= set(result.report["removedGroups"])
    image = Image.open(io.BytesIO(result.data))
    assert not image.info.get("exif") and not image.info.get("xmp")
    assert image.info["icc_profile"] == icc_profile()
    assert b"Canon" not in result.data and b"Jane" not in result.data
    assert_same_pixels(loaded, result.data)
    nothing = strip_metadata(loaded, keep=NOTHING)
    assert "icc" in nothing.report["removedGroups"]
    assert not Image.open(io.BytesIO(nothing.data)).info.get("icc_profile")
    assert_same_pixels(loaded, nothing.data)
    assert strip_metadata(nothing.data, keep=NOTHING).data == nothing.data


def test_avif_loses_exif_and_xmp_items():
    loaded = saved(picture((64, 48)), "AVIF", exif=camera_exif(), xmp=XMP)
    result = strip_metadata(loaded)
    assert result.report["format"] == "avif"
    assert [e["type"] for e in result.report["removed"]] == ["item Exif", "item XMP"]
    assert b"Canon" not in result.data
    assert_same_pixels(loaded, result.data)


def test_heif_image_sequences_are_refused():
    heic = saved(picture(), "HEIF")
    with pytest.raises(UnsupportedFormat, match="sequence"):
        strip_metadata(heic + struct.pack(">L4s", 8, b"moov"))


# --- BMP and options ----------------------------------------------------------------------


def test_bmp_has_nothing_to_strip():
    bmp = saved(picture(), "BMP")
    result = strip_metadata(bmp)
    assert result.data == bmp
    assert result.report["removed"] == [] and result.report["removedGroups"] == []


def test_unknown_keep_group_is_a_bad_request():
    with pytest.raises(BadRequest):
        strip_metadata(saved(picture(), "PNG"), keep=frozenset({"gps"}))
