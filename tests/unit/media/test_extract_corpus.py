"""exifq's extraction against ExifTool's reading of every file of the shared corpus, per version.

Each ExifTool version the engine supports (:mod:`tests.support.exiftools`: Debian's
12.57 and the newest, from ``exiftool-vendored.pl``) builds its own tables, and
exifq's extraction with them is compared with that same version's reading
(``exiftool -j -G1 -n -struct``, run at test time); :mod:`tests.support.exiftool_reference`
says how tags are matched. The thresholds are the issue's: width, height and MIME
type on every file; EXIF (IFD0, ExifIFD, GPS, InteropIFD, IFD1) >= 99% of ExifTool's
tags present with equal values; IPTC and XMP >= 95%; maker notes >= 80% for each of
Canon, Nikon, Sony, Fujifilm, Olympus/OM, Panasonic, Pentax, Samsung and Apple that
the corpus holds. No tag is left out of the denominators. A translated expression
that fails on a corpus file fails the test (``perl.set_strict`` in ``tests/conftest.py``).

The per-group table is printed for each version (and is the one in docs/engine.md).
"""

from __future__ import annotations

import json
import warnings

import pytest

from tests.conftest import CORPUS, corpus_files
from tests.support.exiftool_reference import MAKERS, Tally
from tests.support.exiftools import ExifToolVersion, corpus_reading
from tests.unit.media.conftest import is_newest
from worker.media.extract import extract_metadata, tables


@pytest.fixture(scope="module")
def extracted(version_tables: tables.TableSet) -> dict[str, dict]:
    """Every corpus file's metadata (metadata only: the comparison is about metadata)."""
    return {f.id: extract_metadata(f.data, f.path.name, pixels=False) for f in corpus_files()}


@pytest.fixture(scope="module")
def reference(exiftool_version: ExifToolVersion) -> dict[str, dict]:
    paths = tuple(f.id for f in corpus_files())
    return corpus_reading(exiftool_version.program, CORPUS, paths, printed=False)


@pytest.fixture(scope="module")
def tally(extracted: dict[str, dict], reference: dict[str, dict]) -> Tally:
    result = Tally()
    for f in corpus_files():
        makers = set(f.manifest.get("makernotes") or [])
        result.add(f.id, reference[f.id], extracted[f.id], makers)
    return result


def _misses(tally: Tally, label: str, limit: int = 15) -> str:
    rows = tally.misses.get(label, [])[:limit]
    return "\n".join(
        f"  {fid} {key}: exiftool={ref!r:.60} ours={ours!r:.60}" for fid, key, ref, ours in rows
    )


def test_every_corpus_file_is_extracted_as_json(extracted: dict[str, dict]) -> None:
    """Results are JSON (no bytes, no NaN) for every file, metadata only."""
    for file_id, metadata in extracted.items():
        json.dumps(metadata, allow_nan=False)
        assert metadata["pHash"] is None and metadata["colors"] is None, file_id


def test_width_height_and_mime_agree_on_every_file(
    extracted: dict[str, dict], reference: dict[str, dict]
) -> None:
    wrong = []
    for f in corpus_files():
        got = extracted[f.id]
        image = got["image"]
        expected = (f.manifest["width"], f.manifest["height"], reference[f.id]["File:MIMEType"])
        actual = (image["width"], image["height"], got["file"]["mimeType"])
        if actual != expected:
            wrong.append(f"{f.id}: {actual} != {expected}")
    assert not wrong, "\n".join(wrong)


def test_exif_agrees_with_exiftool(
    tally: Tally, exiftool_version: ExifToolVersion, capsys: pytest.CaptureFixture
) -> None:
    with capsys.disabled():
        print(
            f"\n\nexifq vs ExifTool {exiftool_version.version} ({exiftool_version.label}) over "
            "the corpus (tags agreeing / ExifTool's tags)\n"
        )
        print(tally.table())
    assert tally.ratio("EXIF") >= 0.99, _misses(tally, "EXIF")


@pytest.mark.parametrize("label", ["IPTC", "XMP"])
def test_iptc_and_xmp_agree_with_exiftool(tally: Tally, label: str) -> None:
    assert tally.classes[label][1] > 100, f"the corpus should hold plenty of {label}"
    assert tally.ratio(label) >= 0.95, _misses(tally, label)


@pytest.mark.parametrize("maker", sorted(MAKERS))
def test_maker_notes_agree_with_exiftool(tally: Tally, maker: str) -> None:
    if maker not in tally.classes:
        pytest.skip(f"the corpus has no {maker} maker notes decoded by ExifTool")
    assert tally.ratio(maker) >= 0.80, _misses(tally, maker)


def test_the_build_translated_every_expression(
    version_tables: tables.TableSet, exiftool_version: ExifToolVersion
) -> None:
    """What the translator left out of this version is listed (reported, not fatal for the
    newest ExifTool; Debian's must translate whole)."""
    left_out = version_tables.manifest["untranslated"]
    report = [f"{item['where']}: {item['reason']}: {item['perl'][:200]!r}" for item in left_out]
    if left_out and is_newest(exiftool_version):
        warnings.warn(f"ExifTool {version_tables.version} untranslated: {report}", stacklevel=1)
    else:
        assert not left_out, report
