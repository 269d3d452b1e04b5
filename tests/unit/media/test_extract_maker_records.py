"""Nikon colour balance and file info, Pentax colour temperatures, Ricoh and JVC text maker
notes (issue 11).

* Nikon's encrypted ``ColorBalance02xx`` blocks start their directory ``DirOffset``
  bytes into the decrypted part; without it the white-balance levels were read from
  the version string (``[12338, 12345, 0, 0]``). ``FileInfo`` is little- or big-endian
  by its values (or the model); the plain ``0100``/``0102``/``0103`` blocks too.
* Pentax ``ColorTemp*`` records (4 bytes: Kelvin, shift AB, shift GM) in both maker-note
  layouts and byte orders.
* Ricoh (``Rev0106;Rg80;...``) and JVC/Victor (``VER:0100QTY:FINE``) text maker notes.

ExifTool cannot write these blocks, so the maker notes are built byte by byte (the
Nikon blocks encrypted with the serial number and shutter count they carry, which
ExifTool decrypts); each ExifTool version must read the values put in, and exifq
must agree with it on every maker-note tag, as ``-n`` values and printed.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from tests.support.built_files import compared, exif_with_maker_note, ifd, jpeg_with_exif
from tests.support.exiftools import ExifToolVersion
from worker.media.extract import tables
from worker.media.extract.makernotes import nikon_decrypt

SERIAL, COUNT = 4012345, 4242


def _encrypted_balance(version: bytes, order: str, dir_offset: int, levels: tuple) -> bytes:
    plain = bytearray(version + b"\x00" * 1536)
    struct.pack_into(order + "4H", plain, 284 + dir_offset, *levels)
    return nikon_decrypt(bytes(plain), 284, len(plain) - 284, SERIAL, COUNT)  # (XOR: symmetric)


def _plain_balance(version: bytes, order: str, start: int, levels: tuple) -> bytes:
    block = bytearray(version + b"\x00" * (start + 60))
    struct.pack_into(order + "4H", block, start, *levels)
    return bytes(block)


def _file_info(order: str, card: int, directory: int, number: int) -> bytes:
    return b"0100" + struct.pack(order + "3H", card, directory, number)


def _nikon(model: str, order: str, extra: list) -> bytes:
    entries = [
        (0x0001, "U", b"0210"),
        (0x000C, "R", [2031, 1000, 1324, 1000, 1, 1, 1, 1]),
        (0x001D, "A", str(SERIAL)),
        (0x00A7, "I", [COUNT]),
        *extra,
    ]
    tiff = (b"MM\x00*" if order == ">" else b"II*\x00") + struct.pack(order + "I", 8)
    note = b"Nikon\x00\x02\x10\x00\x00" + tiff + ifd(entries, 8, order)
    return jpeg_with_exif(exif_with_maker_note("NIKON CORPORATION", model, lambda pos: note, order))


def _color_temp(kelvin: int, ab: int, gm: int) -> bytes:
    return struct.pack(">HBB", 53190 - kelvin, 0, (ab & 0xF) | ((gm & 0xF) << 4))


PENTAX = [
    (0x0000, "B", [3, 0, 0, 0]),
    (0x0050, "H", [53190 - 5000]),
    (0x0053, "U", _color_temp(5200, 2, -1)),
    (0x0054, "U", _color_temp(7500, -3, 4)),
    (0x0058, "U", _color_temp(4000, 7, -8)),
    (0x005A, "U", _color_temp(6000, 0, 0)),
]


def _pentax(layout: str, order: str) -> bytes:
    name = b"MM" if order == ">" else b"II"
    if layout == "PENTAX":  # offsets count from the maker note
        note = lambda pos: b"PENTAX \x00" + name + ifd(PENTAX, 10, order)  # noqa: E731
    else:  # "AOC": offsets count from the TIFF header
        note = lambda pos: b"AOC\x00" + name + ifd(PENTAX, pos + 6, order)  # noqa: E731
    return jpeg_with_exif(exif_with_maker_note("PENTAX Corporation", "PENTAX K-x", note, order))


def _text(make: str, model: str, note: bytes) -> bytes:
    return jpeg_with_exif(exif_with_maker_note(make, model, lambda pos: note))


BUILT = {
    "Nikon D300 0209": lambda: _nikon(
        "NIKON D300",
        ">",
        [
            (0x0097, "U", _encrypted_balance(b"0209", ">", 10, (256, 400, 340, 256))),
            (0x00B8, "U", _file_info(">", 0, 105, 12)),
        ],
    ),
    "Nikon D90 0211 II": lambda: _nikon(
        "NIKON D90",
        "<",
        [
            (0x0097, "U", _encrypted_balance(b"0211", "<", 16, (300, 256, 256, 500))),
            (0x00B8, "U", _file_info(">", 2, 999, 9999)),
        ],
    ),
    "Nikon D3000 0213": lambda: _nikon(
        "NIKON D3000",
        ">",
        [(0x0097, "U", _encrypted_balance(b"0213", ">", 10, (410, 256, 256, 320)))],
    ),
    "Nikon D750 little-endian FileInfo": lambda: _nikon(
        "NIKON D750", ">", [(0x00B8, "U", _file_info("<", 1, 123, 4567))]
    ),
    "Nikon D750 ambiguous FileInfo": lambda: _nikon(
        "NIKON D750", ">", [(0x00B8, "U", _file_info("<", 0, 257, 257))]
    ),
    "Nikon D100 0100": lambda: _nikon(
        "NIKON D100", ">", [(0x0097, "U", _plain_balance(b"0100", ">", 72, (1, 2, 3, 4)))]
    ),
    "Nikon D70 0103": lambda: _nikon(
        "NIKON D70", "<", [(0x0097, "U", _plain_balance(b"0103", "<", 20, (500, 256, 300, 256)))]
    ),
    "Pentax PENTAX MM": lambda: _pentax("PENTAX", ">"),
    "Pentax AOC II": lambda: _pentax("AOC", "<"),
    "Pentax AOC MM": lambda: _pentax("AOC", ">"),
    "Ricoh Rev": lambda: _text("RICOH", "RDC-5300", b"Rev0106;Rg80;Gg0100;Bg7F;Xx12;Bb;\x00\x00"),
    "Ricoh Rv": lambda: _text("RICOH", "RDC-7", b"Rv0103;Rg93;Gg80;Bg8A;"),
    "JVC": lambda: _text("JVC", "GC-QX3HD", b"VER:0100QTY:FINEABC:12"),
    "Victor": lambda: _text("Victor", "GR-DVL", b"VER:0200QTY:STND\x00\x00"),
}
EXPECTED = {  # what ExifTool must read from the values put in
    "Nikon D300 0209": ("Nikon", "WB_GRBGLevels", "256 400 340 256"),
    "Nikon D3000 0213": ("Nikon", "WB_RGGBLevels", "410 256 256 320"),
    "Nikon D750 little-endian FileInfo": ("Nikon", "FileNumber", 4567),
    "Pentax AOC II": ("Pentax", "ColorTempDaylight", "5200 2 -1"),
    "Ricoh Rev": ("Ricoh", "RedGain", 80),
    "JVC": ("JVC", "Quality", "FINE"),
}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("maker-records")
    out = {}
    for i, (name, build) in enumerate(BUILT.items()):
        out[name] = base / f"case{i}.jpg"
        out[name].write_bytes(build())
    return out


@pytest.mark.parametrize("printed", [False, True], ids=["values", "printed"])
@pytest.mark.parametrize("case", sorted(BUILT))
def test_maker_records_agree_with_exiftool(
    files: dict[str, Path],
    case: str,
    printed: bool,
    exiftool_version: ExifToolVersion,
    version_tables: tables.TableSet,
) -> None:
    path = files[case]
    group = case.split()[0].replace("Victor", "JVC")
    reference, _, result = compared(exiftool_version.program, path, {group}, printed=printed)
    good, total = result.groups[group]
    assert total >= 2, reference
    assert good == total, result.misses
    if case in EXPECTED and not printed:
        group, name, value = EXPECTED[case]
        assert reference[f"{group}:{name}"] == value
