"""XMP structure fields convert by their type in ExifTool's structure definition (issue 11).

ExifTool turns ``a/b`` into a number only for a ``rational`` property (and ISO dates
into its date format only for a ``date``); a field its tables do not define gets both
(``XMPAutoConv``). A phone number ``06136/958638`` in ``CreatorContactInfo`` or a
``Parameters`` of ``1/2`` in ``xmpMM:History`` stays text, while ``GPSAltitude`` in
``LocationCreated`` and ``scale`` in ``xmpDM:Duration`` become numbers. A field's own
conversions apply too (``GPSLatitude`` to signed degrees; printed, ``GPSAltitude`` as
``123.4 m`` and ``Flash/Fired`` as ``True``). The files are written by each ExifTool
version and read back by it; one packet adds a field no definition has (which
ExifTool cannot write), built byte by byte.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.built_files import compared, jpeg_with_xmp, plain_jpeg, write
from tests.support.exiftools import ExifToolVersion
from worker.media.extract import extract_metadata, tables

WRITTEN = [
    "-XMP-iptcCore:CreatorContactInfo={CiTelWork=06136/958638,CiAdrPcode=12/34,"
    "CiAdrCity=Bern,CiEmailWork=a@b.ch}",
    "-XMP-xmpDM:Duration={scale=1/25,value=100}",
    "-XMP-iptcExt:LocationCreated={City=Bern,GPSAltitude=1234/10,Sublocation=2/3,"
    "GPSLatitude=46.9511,GPSLongitude=-7.4386}",
    "-XMP-xmpMM:History={When=2020:01:02 03:04:05,Action=saved,Parameters=1/2,SoftwareAgent=5/6}",
    "-XMP-exif:Flash={Fired=True,Mode=1}",
    "-XMP-xmpDM:Tracks={TrackName=3/4,FrameRate=f25,Markers=[{StartTime=1/2,Name=9/10}]}",
]
UNKNOWN_FIELD = b"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF
 xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""
 xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"
 xmlns:my="http://example.com/ns/my/1.0/">
<Iptc4xmpCore:CreatorContactInfo rdf:parseType="Resource">
 <Iptc4xmpCore:CiTelWork>06136/958638</Iptc4xmpCore:CiTelWork>
 <Iptc4xmpCore:CiFax>3/4</Iptc4xmpCore:CiFax>
 <Iptc4xmpCore:CiWhen>2021-05-06T07:08:09Z</Iptc4xmpCore:CiWhen>
</Iptc4xmpCore:CreatorContactInfo>
<my:Thing rdf:parseType="Resource"><my:Ratio>5/8</my:Ratio><my:Text>a/b</my:Text></my:Thing>
</rdf:Description></rdf:RDF></x:xmpmeta>"""


@pytest.fixture(scope="module")
def files(
    tmp_path_factory: pytest.TempPathFactory, exiftool_version: ExifToolVersion
) -> dict[str, Path]:
    base = tmp_path_factory.mktemp(f"xmp-struct-{exiftool_version.label}")
    written = base / "written.jpg"
    written.write_bytes(plain_jpeg())
    write(exiftool_version.program, written, *WRITTEN)
    built = base / "unknown-field.jpg"
    built.write_bytes(jpeg_with_xmp(UNKNOWN_FIELD))
    return {"written": written, "unknown field": built}


@pytest.mark.parametrize("printed", [False, True], ids=["values", "printed"])
@pytest.mark.parametrize("case", ["written", "unknown field"])
def test_structure_fields_agree_with_exiftool(
    files: dict[str, Path],
    case: str,
    printed: bool,
    exiftool_version: ExifToolVersion,
    version_tables: tables.TableSet,
) -> None:
    path = files[case]
    reference, metadata, result = compared(exiftool_version.program, path, printed=printed)
    good, total = result.classes["XMP"]
    assert total >= 2, reference
    assert good == total, result.misses["XMP"]
    contact = metadata["xmp"]["iptcCore:CreatorContactInfo"]
    assert contact["CiTelWork"] == "06136/958638"


def test_typed_fields_still_convert(files: dict[str, Path], version_tables: tables.TableSet):
    path = files["written"]
    xmp = extract_metadata(path.read_bytes(), path.name, pixels=False)["xmp"]
    assert xmp["xmpDM:Duration"] == {"Scale": 0.04, "Value": 100}
    assert xmp["iptcExt:LocationCreated"][0]["GPSAltitude"] == 123.4
    assert xmp["iptcExt:LocationCreated"][0]["Sublocation"] == "2/3"
    assert xmp["iptcExt:LocationCreated"][0]["GPSLongitude"] == -7.4386
    assert xmp["xmpMM:History"][0]["Parameters"] == "1/2"
