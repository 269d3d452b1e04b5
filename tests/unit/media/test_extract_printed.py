"""Printed values (``values="printed"``) against ExifTool's printed output, per version.

``extract_metadata(..., values="printed")`` applies each tag's ``PrintConv`` as
``exiftool -j -G1`` without ``-n`` does. Over the corpus, at least 99 % of the EXIF
tags (IFD0, IFD1, ExifIFD, GPS, InteropIFD) ExifTool prints must be equal, for each
ExifTool version, compared with that version's own output run at test time.
"""

from __future__ import annotations

import pytest

from tests.conftest import CORPUS, corpus_files, corpus_path
from tests.support.exiftool_reference import Tally
from tests.support.exiftools import ExifToolVersion, corpus_reading
from worker.media.extract import extract_metadata, tables


@pytest.fixture(scope="module")
def printed_tally(version_tables: tables.TableSet, exiftool_version: ExifToolVersion) -> Tally:
    paths = tuple(f.id for f in corpus_files())
    reference = corpus_reading(exiftool_version.program, CORPUS, paths, printed=True)
    result = Tally()
    for f in corpus_files():
        ours = extract_metadata(f.data, f.path.name, pixels=False, values="printed")
        result.add(f.id, reference[f.id], ours, set(f.manifest.get("makernotes") or []))
    return result


def test_printed_exif_agrees_with_exiftool(
    printed_tally: Tally, exiftool_version: ExifToolVersion, capsys: pytest.CaptureFixture
) -> None:
    with capsys.disabled():
        print(
            f"\n\nprinted values: exifq vs ExifTool {exiftool_version.version} "
            f"(exiftool -j -G1 -struct, no -n)\n"
        )
        print(printed_tally.table())
    misses = "\n".join(
        f"  {fid} {key}: exiftool={ref!r:.60} ours={ours!r:.60}"
        for fid, key, ref, ours in printed_tally.misses.get("EXIF", [])[:20]
    )
    assert printed_tally.ratio("EXIF") >= 0.99, misses


def test_printed_values_read_as_exiftool_prints_them(version_tables: tables.TableSet) -> None:
    data = corpus_path("exif-samples/jpg/Canon_40D.jpg").read_bytes()
    printed = extract_metadata(data, "Canon_40D.jpg", pixels=False, values="printed")["exif"]
    raw = extract_metadata(data, "Canon_40D.jpg", pixels=False)["exif"]
    assert printed["exif"]["ExposureTime"] == "1/160" and raw["exif"]["ExposureTime"] == 0.00625
    assert printed["exif"]["Flash"] == "On, Fired" and raw["exif"]["Flash"] == 9
    assert printed["image"]["Orientation"] == "Horizontal (normal)"
    assert printed["exif"]["FNumber"] == 7.1
    data = corpus_path("exif-samples/jpg/hdr/canon_hdr_YES.jpg").read_bytes()
    canon = extract_metadata(data, "c.jpg", pixels=False, values="printed")["exif"]["makernote"]
    assert canon["Canon"]["MacroMode"] == "Normal" and canon["Canon"]["FocusMode"] == "Single"


def test_values_must_be_raw_or_printed(version_tables: tables.TableSet) -> None:
    data = corpus_path("exif-samples/jpg/Canon_40D.jpg").read_bytes()
    with pytest.raises(ValueError, match="values"):
        extract_metadata(data, "x.jpg", pixels=False, values="pretty")
