"""``strip_file``: file to file, the same bytes and report as ``strip_metadata``, or nothing.

Every case runs twice: with the input read (small files, the default) and
memory-mapped (``MAP_FROM`` set to 0), since both paths must agree.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.errors import BadRequest, ExifqError
from tests.conftest import CorpusFile, corpus_params, corpus_path
from tests.unit.media.test_strip import KEEPS
from tests.unit.media.test_strip_bad_input import SAMPLES, mutated
from tests.unit.media.test_strip_containers import picture, saved
from tests.unit.media.test_strip_written import written  # noqa: F401 (the fixture)
from worker.media.strip import files, strip_metadata
from worker.media.strip.files import strip_file

PHOTO = "exif-samples/jpg/hdr/canon_hdr_YES.jpg"


@pytest.fixture(params=["read", "mmap"], autouse=True)
def input_path(request, monkeypatch) -> str:
    """Run each test with the input read and with it memory-mapped."""
    if request.param == "mmap":
        monkeypatch.setattr(files, "MAP_FROM", 0)
    return request.param


def expected(data: bytes, keep: frozenset[str]) -> tuple[bytes, dict] | dict:
    """``strip_metadata``'s bytes and report, or its error as the API shows it."""
    try:
        result = strip_metadata(data, keep=keep)
    except ExifqError as exc:
        return exc.to_dict()
    return result.data, result.report


def stripped(src: Path, dst: Path, keep: frozenset[str]) -> tuple[bytes, dict] | dict:
    """``strip_file``'s output bytes and report, or its error (then ``dst`` must not exist)."""
    try:
        report = strip_file(src, dst, keep=keep)
    except ExifqError as exc:
        assert not dst.exists()
        return exc.to_dict()
    return dst.read_bytes(), report


def only(folder: Path) -> list[str]:
    """The names in ``folder`` (no temporary file may be left behind)."""
    return sorted(path.name for path in folder.iterdir())


@pytest.mark.parametrize("keep_name", KEEPS)
@pytest.mark.parametrize("item", corpus_params())
def test_corpus_file_to_file_matches_strip_metadata(item: CorpusFile, keep_name, tmp_path):
    keep = KEEPS[keep_name]
    dst = tmp_path / f"out{item.path.suffix}"
    assert stripped(item.path, dst, keep) == expected(item.data, keep)
    assert only(tmp_path) in ([], [dst.name])


@pytest.mark.parametrize("fmt", ["jpg", "png", "webp", "tif", "gif", "heic"])
def test_exiftool_written_files_match_strip_metadata(fmt, written, tmp_path):  # noqa: F811
    for keep in KEEPS.values():
        dst = tmp_path / f"out.{fmt}"
        result = stripped(written[fmt], dst, keep)
        assert result == expected(written[fmt].read_bytes(), keep)
        assert len(result[1]["removed"]) > 0


def test_segments_between_progressive_scans_give_the_same_bytes(tmp_path):
    progressive = saved(picture((64, 64)), "JPEG", progressive=True, quality=90)
    second_scan = progressive.index(b"\xff\xda", progressive.index(b"\xff\xda") + 2)
    extra = b"\xff\xfe\x00\x07hello" + b"\xff\xe1\x00\x08Exif\x00\x00"
    src = tmp_path / "in.jpg"
    src.write_bytes(progressive[:second_scan] + extra + progressive[second_scan:])
    data, report = stripped(src, tmp_path / "out.jpg", KEEPS["default"])
    assert (data, report) == expected(src.read_bytes(), KEEPS["default"])
    assert data == strip_metadata(progressive).data


@pytest.mark.parametrize("fraction", [0.0, 0.05, 0.5, 0.9, 0.999])
@pytest.mark.parametrize("path", [PHOTO, *(s for paths in SAMPLES.values() for s in paths)])
def test_truncated_input_gives_the_same_error_and_no_file(path, fraction, tmp_path):
    whole = (corpus_path(path)).read_bytes()
    data = whole[: int(len(whole) * fraction)]
    src, dst = tmp_path / "in", tmp_path / "out"
    src.write_bytes(data)
    assert stripped(src, dst, KEEPS["default"]) == expected(data, KEEPS["default"])
    assert only(tmp_path) in (["in"], ["in", "out"])


@pytest.mark.parametrize("data", [b"", b"text named photo.jpg", b"\xff\xd8", b"\xff\xd8\xff\xe1"])
def test_non_images_give_the_same_error_and_leave_dst_untouched(data, tmp_path):
    src, dst = tmp_path / "in", tmp_path / "out"
    src.write_bytes(data)
    dst.write_bytes(b"previous output")
    error = expected(data, KEEPS["default"])
    assert error["code"] in ("unsupported_format", "corrupt_image")
    with pytest.raises(ExifqError) as raised:
        strip_file(src, dst)
    assert raised.value.to_dict() == error
    assert dst.read_bytes() == b"previous output"
    assert only(tmp_path) == ["in", "out"]


def test_unknown_keep_group_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(BadRequest, match="unknown keep group: gps"):
        strip_file(corpus_path(PHOTO), tmp_path / "out.jpg", keep=frozenset({"gps"}))
    assert only(tmp_path) == []


def test_input_as_its_own_output_is_stripped_in_place(tmp_path):
    original = (corpus_path(PHOTO)).read_bytes()
    path = tmp_path / "photo.jpg"
    path.write_bytes(original)
    report = strip_file(path, path)
    assert (path.read_bytes(), report) == expected(original, KEEPS["default"])
    assert only(tmp_path) == ["photo.jpg"]


def test_an_existing_output_is_replaced_whole(tmp_path):
    dst = tmp_path / "out.jpg"
    dst.write_bytes(b"x" * 5_000_000)  # longer than the output: no stale tail may remain
    strip_file(corpus_path(PHOTO), dst)
    assert dst.read_bytes() == strip_metadata((corpus_path(PHOTO)).read_bytes()).data


def test_unwritable_output_raises_oserror_and_leaves_no_temporary_file(tmp_path):
    (tmp_path / "out.jpg").mkdir()  # a directory cannot be replaced by a file
    with pytest.raises(OSError):
        strip_file(corpus_path(PHOTO), tmp_path / "out.jpg")
    with pytest.raises(FileNotFoundError):
        strip_file(corpus_path(PHOTO), tmp_path / "missing-folder" / "out.jpg")
    with pytest.raises(FileNotFoundError):
        strip_file(tmp_path / "missing.jpg", tmp_path / "clean.jpg")
    assert only(tmp_path) == ["out.jpg"]


def test_many_pieces_and_short_writes_are_all_written(tmp_path, monkeypatch):
    pieces = [bytes([index % 251]) * (index % 7) for index in range(3 * files.IOV_MAX + 5)]
    real_writev = os.writev
    calls = []

    def short_writev(fd: int, buffers: list) -> int:
        calls.append(len(buffers))
        assert len(buffers) <= files.IOV_MAX
        head = b"".join(bytes(buffer) for buffer in buffers)[:1000]  # at most 1000 bytes a call
        return real_writev(fd, [head])

    monkeypatch.setattr(files.os, "writev", short_writev)
    with files.replacing(str(tmp_path / "out")) as fd:
        count = files._writev_all(fd, pieces)
    assert (tmp_path / "out").read_bytes() == b"".join(pieces)
    assert count == len(b"".join(pieces)) and len(calls) > 3


def test_an_existing_output_keeps_its_permissions_and_a_new_one_gets_the_umask(tmp_path):
    private = tmp_path / "private.jpg"
    private.write_bytes((corpus_path(PHOTO)).read_bytes())
    private.chmod(0o600)
    strip_file(private, private)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    previous = os.umask(0o027)
    try:
        strip_file(corpus_path(PHOTO), tmp_path / "new.jpg")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "new.jpg").stat().st_mode) == 0o640


@pytest.mark.parametrize("fmt", ["jpg", "png", "webp", "tiff"])
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_mutated_files_give_the_same_result_or_error(fmt, data, tmp_path):
    damaged = data.draw(mutated(fmt))
    src, dst = tmp_path / "in", tmp_path / "out"
    src.write_bytes(damaged)
    dst.unlink(missing_ok=True)
    assert stripped(src, dst, KEEPS["all"]) == expected(damaged, KEEPS["all"])
    assert only(tmp_path) in (["in"], ["in", "out"])
