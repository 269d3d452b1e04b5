"""Several IPTC blocks, MWG regions, PLUS vocabularies and the old toolkit attribute (issue 11).

* Two IPTC resources in a JPEG's Photoshop segment(s): ExifTool reads the first as
  group ``IPTC`` and the second as ``IPTC2`` (lower priority); exifq merges them the
  same way: the first block's tags, plus what only the second has.
* ``mwg-rs`` regions are ExifTool's ``RegionInfo`` (its MWG tables), ``XMP-plus``
  controlled-vocabulary values lose the ``http://ns.useplus.org/ldf/vocab/`` prefix
  (PLUS tables), and ``x:xaptk`` (XMP before 2002) is ``XMPToolkit``.

Files are written by each ExifTool version where it can write them (regions, PLUS);
the two IPTC blocks and the old ``x:xapmeta`` packet are built byte by byte.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from tests.support.built_files import (
    compared,
    jpeg_with_segments,
    jpeg_with_xmp,
    plain_jpeg,
    write,
)
from tests.support.exiftools import ExifToolVersion
from worker.media.extract import extract_metadata, tables


def _dataset(record: int, number: int, value: bytes) -> bytes:
    return bytes([0x1C, record, number]) + struct.pack(">H", len(value)) + value


def _resource(rid: int, data: bytes) -> bytes:
    pad = b"\x00" if len(data) % 2 else b""
    return b"8BIM" + struct.pack(">HxxI", rid, len(data)) + data + pad


FIRST = (
    _dataset(1, 90, b"\x1b%G")
    + _dataset(2, 0, b"\x00\x04")
    + _dataset(2, 5, b"First title")
    + _dataset(2, 25, b"k1")
    + _dataset(2, 25, b"k2")
    + _dataset(2, 90, "Zürich".encode())
)
SECOND = (
    _dataset(2, 0, b"\x00\x04")
    + _dataset(2, 5, b"Second title")
    + _dataset(2, 25, b"k3")
    + _dataset(2, 101, b"Switzerland")
    + _dataset(2, 120, b"A caption")
)
PHOTOSHOP = b"Photoshop 3.0\x00"
OLD_PACKET = b"""<?xpacket begin='\xef\xbb\xbf' id='W5M0MpCehiHzreSzNTczkc9d'?>
<x:xapmeta xmlns:x='adobe:ns:meta/' x:xaptk='XMP toolkit 2.8.2-33, framework 1.5'>
<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>
 <rdf:Description about='' xmlns:xap='http://ns.adobe.com/xap/1.0/'>
  <xap:CreateDate>2003-01-02T03:04:05+01:00</xap:CreateDate>
  <xap:CreatorTool>Adobe Photoshop 7.0</xap:CreatorTool>
 </rdf:Description>
</rdf:RDF>
</x:xapmeta>
<?xpacket end='w'?>"""
WRITTEN = [
    "-XMP-mwg-rs:RegionInfo={AppliedToDimensions={W=4000,H=3000,Unit=pixel},"
    "RegionList=[{Name=1/2,Type=Face,Area={X=0.5,Y=0.5,W=0.1,H=0.1,Unit=normalized}}]}",
    "-XMP-plus:MinorModelAgeDisclosure#=AG-A25",
    "-XMP-plus:ModelReleaseStatus#=MR-NON",
    "-XMP-plus:ImageType#=TY-PHO",
    "-XMP-plus:ImageAlterationConstraints#=AL-CRP",
    "-XMP-plus:PLUSVersion=1.2.1",
    "-XMP-plus:Licensee={LicenseeName=Ada,LicenseeID=L1}",
]


@pytest.fixture(scope="module")
def files(
    tmp_path_factory: pytest.TempPathFactory, exiftool_version: ExifToolVersion
) -> dict[str, Path]:
    base = tmp_path_factory.mktemp(f"names-{exiftool_version.label}")
    contents = {
        "two IPTC resources": jpeg_with_segments(
            (0xED, PHOTOSHOP + _resource(0x0404, FIRST) + _resource(0x0404, SECOND))
        ),
        "two Photoshop segments": jpeg_with_segments(
            (0xED, PHOTOSHOP + _resource(0x0404, FIRST)),
            (0xED, PHOTOSHOP + _resource(0x0404, SECOND)),
        ),
        "x:xaptk": jpeg_with_xmp(OLD_PACKET),
        "regions and PLUS": plain_jpeg(),
    }
    out = {}
    for i, (name, data) in enumerate(contents.items()):
        out[name] = base / f"case{i}.jpg"
        out[name].write_bytes(data)
    write(exiftool_version.program, out["regions and PLUS"], *WRITTEN)
    return out


@pytest.mark.parametrize(
    "case", ["two IPTC resources", "two Photoshop segments", "x:xaptk", "regions and PLUS"]
)
def test_agrees_with_exiftool(
    files: dict[str, Path],
    case: str,
    exiftool_version: ExifToolVersion,
    version_tables: tables.TableSet,
) -> None:
    path = files[case]
    reference, metadata, result = compared(exiftool_version.program, path)
    assert result.classes, reference
    for label, (good, total) in result.classes.items():
        assert good == total, result.misses[label]
    # the second IPTC block adds what the first lacks, as ExifTool's IPTC2 group
    for key, value in reference.items():
        if key.startswith("IPTC2:") and f"IPTC:{key[6:]}" not in reference:
            assert metadata["iptc"][key[6:]] in (value, [value]), key


def test_two_iptc_blocks_merge_first_wins(
    files: dict[str, Path], version_tables: tables.TableSet
) -> None:
    path = files["two IPTC resources"]
    iptc = extract_metadata(path.read_bytes(), path.name, pixels=False)["iptc"]
    assert iptc["ObjectName"] == "First title"
    assert iptc["Keywords"] == ["k1", "k2"]
    assert iptc["City"] == "Zürich"
    assert iptc["Country-PrimaryLocationName"] == "Switzerland"


def test_regions_plus_and_toolkit_names(
    files: dict[str, Path], version_tables: tables.TableSet
) -> None:
    written = files["regions and PLUS"]
    xmp = extract_metadata(written.read_bytes(), written.name, pixels=False)["xmp"]
    assert xmp["mwg-rs:RegionInfo"]["RegionList"][0]["Name"] == "1/2"
    assert xmp["plus:MinorModelAgeDisclosure"] == "AG-A25"
    old = files["x:xaptk"]
    xmp = extract_metadata(old.read_bytes(), old.name, pixels=False)["xmp"]
    assert xmp["x:XMPToolkit"] == "XMP toolkit 2.8.2-33, framework 1.5"
