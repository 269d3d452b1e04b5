"""EXIF ``CFAPattern`` with its dimensions in either byte order (issue 11).

Some Nikon bodies store the two ``int16u`` dimensions of ``CFAPattern`` (0xa302) in the
other byte order than the file's; ExifTool's ``Exif::DecodeCFAPattern`` notices and
reads them anyway, and so must exifq (the helper is translated from the installed
ExifTool's table with the rest). Files are built byte by byte (ExifTool always writes
the file's order) plus one that ExifTool writes itself; both ExifTool versions, ``-n``
values and printed.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from tests.support.built_files import (
    compared,
    exif_with_maker_note,
    jpeg_with_exif,
    plain_jpeg,
    write,
)
from tests.support.exiftools import ExifToolVersion
from worker.media.extract import tables

CASES = {  # name: (file order, dimensions order, columns, rows, pattern)
    "II, native": ("<", "<", 2, 2, [0, 1, 1, 2]),
    "II, swapped": ("<", ">", 2, 2, [0, 1, 1, 2]),
    "MM, swapped": (">", "<", 2, 2, [1, 0, 2, 1]),
    "II, swapped, 3x2": ("<", ">", 3, 2, [0, 1, 2, 1, 2, 0]),
}


@pytest.fixture(scope="module")
def files(
    tmp_path_factory: pytest.TempPathFactory, exiftool_version: ExifToolVersion
) -> dict[str, Path]:
    base = tmp_path_factory.mktemp(f"cfa-{exiftool_version.label}")
    out = {}
    for i, (name, (order, dims, columns, rows, pattern)) in enumerate(CASES.items()):
        value = struct.pack(dims + "HH", columns, rows) + bytes(pattern)
        tiff = exif_with_maker_note(
            "NIKON CORPORATION", "NIKON D1", lambda pos: b"", order, exif=[(0xA302, "U", value)]
        )
        out[name] = base / f"case{i}.jpg"
        out[name].write_bytes(jpeg_with_exif(tiff))
    written = out["written by ExifTool"] = base / "written.jpg"
    written.write_bytes(plain_jpeg())
    write(exiftool_version.program, written, "-CFAPattern=[Red,Green][Green,Blue]")
    return out


@pytest.mark.parametrize("printed", [False, True], ids=["values", "printed"])
@pytest.mark.parametrize("case", [*CASES, "written by ExifTool"])
def test_cfa_pattern_agrees_with_exiftool(
    files: dict[str, Path],
    case: str,
    printed: bool,
    exiftool_version: ExifToolVersion,
    version_tables: tables.TableSet,
) -> None:
    path = files[case]
    reference, _, result = compared(exiftool_version.program, path, printed=printed)
    assert "ExifIFD:CFAPattern" in reference
    good, total = result.classes["EXIF"]
    assert good == total, result.misses["EXIF"]
