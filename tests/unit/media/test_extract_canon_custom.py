"""Canon custom functions (``CanonCustom``) and ``OriginalDecisionDataOffset`` (issue 11).

ExifTool reads Canon's custom-function blocks with two processors of its own (old
``(function << 8) | setting`` words for the EOS D30 to 5D and 1D Mark II, grouped
``int32s`` records from the 1D Mark III and 40D on); exifq did not run them, so the
whole ``CanonCustom`` group was missing. ``OriginalDecisionDataOffset`` is an offset
only outside JPEG (its ``IsOffset`` is an expression), so a 0 stays 0.

ExifTool cannot create these blocks, so maker notes holding them are built byte by
byte (both byte orders); one is then copied by ExifTool into another JPEG
(``-tagsfromfile -makernotes``), which rewrites it as ExifTool writes maker notes.
Every maker-note and EXIF tag each ExifTool version reads must agree, as ``-n`` values
and printed.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from tests.support.built_files import (
    compared,
    exif_with_maker_note,
    ifd,
    jpeg_with_exif,
    plain_jpeg,
    write,
)
from tests.support.exiftools import ExifToolVersion
from worker.media.extract import extract_metadata, tables


def _words(pairs: list[tuple[int, int]]) -> list[int]:
    """An old-style block: its size in bytes, then ``(function << 8) | setting`` words."""
    return [2 * (len(pairs) + 1), *((number << 8) | value for number, value in pairs)]


def _groups(groups: list[tuple[int, list[tuple[int, list[int]]]]], order: str) -> list[int]:
    """A CustomFunctions2 block as ``int32u`` values."""
    body = b""
    for number, entries in groups:
        records = b"".join(
            struct.pack(f"{order}II{len(v)}i", tag, len(v), *v) for tag, v in entries
        )
        body += struct.pack(order + "III", number, len(records) + 8, len(entries)) + records
    block = struct.pack(order + "HHI", 8 + len(body), 0, len(groups)) + body
    return list(struct.unpack(f"{order}{len(block) // 4}I", block))


OLD = [(n, (n * 7) % 3) for n in range(21)]
NEW = [
    (1, [(0x101, [1]), (0x102, [0]), (0x103, [1, 100, 3200]), (0x104, [0]), (0x108, [1])]),
    (2, [(0x201, [1]), (0x202, [2]), (0x204, [1]), (0x304, [0]), (0x305, [1])]),
    (3, [(0x501, [0]), (0x502, [-1]), (0x506, [2]), (0x507, [1, 5, 0, 0, 0])]),
    (4, [(0x701, [0, 1]), (0x704, [2]), (0x70A, [1]), (0x80B, [1])]),
]
MODELS = {
    "5D": ("Canon EOS 5D", lambda order: [(0x0F, "H", _words(OLD)), (0x83, "I", [0])]),
    "20D": ("Canon EOS 20D", lambda order: [(0x0F, "H", _words(OLD[:18]))]),
    "1D Mark II": (
        "Canon EOS-1D Mark II",
        lambda order: [(0x0F, "H", _words(OLD[:7])), (0x90, "H", _words(OLD[:2]))],
    ),
    "40D": ("Canon EOS 40D", lambda order: [(0x99, "I", _groups(NEW, order)), (0x83, "I", [0])]),
}
CASES = [f"{model} {order}" for model in MODELS for order in ("II", "MM")] + ["40D copied"]


@pytest.fixture(scope="module")
def files(
    tmp_path_factory: pytest.TempPathFactory, exiftool_version: ExifToolVersion
) -> dict[str, Path]:
    base = tmp_path_factory.mktemp(f"canon-{exiftool_version.label}")
    out = {}
    for i, case in enumerate(CASES[:-1]):
        label, order_name = case.rsplit(" ", 1)
        order = "<" if order_name == "II" else ">"
        model, entries = MODELS[label]
        note = entries(order)
        tiff = exif_with_maker_note(
            "Canon", model, lambda pos, e=note, o=order: ifd(e, pos, o), order
        )
        out[case] = base / f"case{i}.jpg"
        out[case].write_bytes(jpeg_with_exif(tiff))
    copied = out["40D copied"] = base / "copied.jpg"
    copied.write_bytes(plain_jpeg((32, 24)))
    source = str(out["40D II"])
    write(
        exiftool_version.program, copied, "-tagsfromfile", source, "-makernotes", "-make", "-model"
    )
    return out


@pytest.mark.parametrize("printed", [False, True], ids=["values", "printed"])
@pytest.mark.parametrize("case", CASES)
def test_canon_custom_functions_agree_with_exiftool(
    files: dict[str, Path],
    case: str,
    printed: bool,
    exiftool_version: ExifToolVersion,
    version_tables: tables.TableSet,
) -> None:
    path = files[case]
    program, groups = exiftool_version.program, {"Canon", "CanonCustom"}
    reference, _, result = compared(program, path, groups, printed=printed)
    assert result.groups["CanonCustom"][1] >= 5, reference
    for label, (good, total) in result.classes.items():
        assert good == total, result.misses[label]


def test_decision_data_offset_zero_stays_zero(
    files: dict[str, Path], version_tables: tables.TableSet
) -> None:
    path = files["40D II"]
    canon = extract_metadata(path.read_bytes(), path.name, pixels=False)["exif"]["makernote"]
    assert canon["Canon"]["OriginalDecisionDataOffset"] == 0
    assert canon["CanonCustom"]["AFMicroadjustment"] in ("1 5 0 0 0", [1, 5, 0, 0, 0])
