"""``exifq extract|strip|hash DIR...`` and ``exifq dedupe`` against the real service, as batches."""

from __future__ import annotations

import io
import json
import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from common.operations.remove import StripOptions
from common.settings import child_environment
from tests.conftest import corpus_files
from tests.integration.test_cli import run_cli
from tests.support.operations import run
from tests.support.stack import REPO
from tests.unit.media.test_strip import exiftool_batch, leaks

pytestmark = pytest.mark.integration

SAMPLES = {
    "exif-samples/jpg/Canon_40D.jpg": "cameras/canon/Canon_40D.jpg",
    "exiftool/t/images/GPS.jpg": "cameras/GPS.jpg",
    "Pillow/Tests/images/exif.png": "png/exif.png",
    "Pillow/Tests/images/flower2.webp": "web/2024/flower2.webp",
}


def corpus_data(corpus_id: str) -> bytes:
    (file,) = [f for f in corpus_files() if f.id == corpus_id]
    return file.data


def make_tree(root: Path) -> dict[str, bytes]:
    """Corpus images in subdirectories plus a non-image; name → bytes, in sorted name order."""
    files = {name: corpus_data(corpus_id) for corpus_id, name in SAMPLES.items()}
    files["notes/readme.jpg"] = b"this is not an image"
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return dict(sorted(files.items()))


def cli(*argv: str, api_url: str, cwd: Path) -> subprocess.CompletedProcess:
    return run_cli(*argv, env=child_environment(EXIFQ_URL=api_url), cwd=cwd)


def batch_uuid(stderr: str) -> str:
    return re.search(r"batch ([0-9a-f-]{36})", stderr).group(1)


def json_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_a_directory_tree_becomes_one_batch_printed_as_json_lines(stack, tmp_path):
    files = make_tree(tmp_path / "in")
    done = cli("extract", "in", api_url=stack.api_url, cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # the non-image failed
    uuid = batch_uuid(done.stderr)
    assert f"exifq extract --batch {uuid}" in done.stderr
    lines = json_lines(done.stdout)
    assert [line["name"] for line in lines] == list(files)
    for line, (name, data) in zip(lines, files.items(), strict=True):
        assert line["fileName"] == Path(name).name
        if name == "notes/readme.jpg":
            assert line["success"] is False and line["status"] == "failed"
            assert line["error"]["code"] == "unsupported_format"
            continue
        assert line["success"] is True and line["status"] == "completed", line
        expected = run("extract", data, Path(name).name).result
        assert line["metadata"] == expected["metadata"]


def test_hash_batch_with_options(stack, tmp_path):
    files = make_tree(tmp_path / "in")
    (tmp_path / "in" / "notes" / "readme.jpg").unlink()
    del files["notes/readme.jpg"]
    konica = corpus_data("exif-samples/jpg/Konica_Minolta_DiMAGE_Z3.jpg")  # --fast changes it
    (tmp_path / "in" / "konica.jpg").write_bytes(konica)
    files = dict(sorted({**files, "konica.jpg": konica}.items()))
    argv = ("hash", "in", "--types", "phash,sha256", "--fast")
    done = cli(*argv, api_url=stack.api_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = json_lines(done.stdout)
    assert [line["hashes"] for line in lines] == [
        run("hash", data, Path(name).name, types="phash,sha256", fast=True).result["hashes"]
        for name, data in files.items()
    ]


def test_strip_writes_cleaned_files_under_the_same_names_and_resume_fetches_nothing_again(
    stack, tmp_path
):
    files = make_tree(tmp_path / "in")
    out = tmp_path / "out"
    done = cli("strip", "in", "-o", "out", api_url=stack.api_url, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    images = {name: data for name, data in files.items() if name != "notes/readme.jpg"}
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == list(images)
    for name, data in images.items():
        expected = run("remove", data, Path(name).name)
        assert (out / name).read_bytes() == expected.cleaned, name
    keep = StripOptions().kept
    for path, tags in exiftool_batch([out / name for name in images]).items():
        assert leaks(tags, keep) == [], path
    lines = json_lines(done.stdout)
    assert [line.get("output") for line in lines] == [
        None if name == "notes/readme.jpg" else str(Path("out", name)) for name in files
    ]

    # Resume after the end: nothing is fetched again, except what is missing.
    stamps = {name: (out / name).stat().st_mtime_ns for name in images}
    (out / "png" / "exif.png").unlink()
    uuid = batch_uuid(done.stderr)
    again = cli("strip", "--batch", uuid, "-o", "out", api_url=stack.api_url, cwd=tmp_path)
    assert again.returncode == 1, again.stderr
    assert json_lines(again.stdout) == lines
    assert (out / "png" / "exif.png").read_bytes() == run(
        "remove", images["png/exif.png"], "exif.png"
    ).cleaned
    for name, stamp in stamps.items():
        if name != "png/exif.png":
            assert (out / name).stat().st_mtime_ns == stamp, f"{name} was fetched again"


def test_strip_without_output_writes_beside_each_input_with_the_options_given(stack, tmp_path):
    files = make_tree(tmp_path / "in")
    argv = ("strip", "in/cameras", "--keep", "copyright")
    done = cli(*argv, api_url=stack.api_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    outputs = [line["output"] for line in json_lines(done.stdout)]
    assert outputs == ["in/cameras/GPS.clean.jpg", "in/cameras/canon/Canon_40D.clean.jpg"]
    changed = False
    for name, output in zip(
        ["cameras/GPS.jpg", "cameras/canon/Canon_40D.jpg"], outputs, strict=True
    ):
        data, base = files[name], Path(name).name
        expected = run("remove", data, base, keep=["copyright"]).cleaned
        assert (tmp_path / output).read_bytes() == expected
        changed |= expected != run("remove", data, base).cleaned
    assert changed  # --keep made a difference, so it reached the jobs


def test_ctrl_c_prints_the_resume_command_and_resuming_finishes(new_stack, tmp_path):
    service = new_stack()
    service.api_url = service.start_api()  # no worker yet: the batch waits in the queue
    files = make_tree(tmp_path / "in")
    env = child_environment(EXIFQ_URL=service.api_url)
    process = subprocess.Popen(
        [sys.executable, "-m", "exifq", "strip", "in", "-o", "out"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = ""
    while not re.search(r"batch [0-9a-f-]{36}", line):
        line = process.stderr.readline()
        assert line, "the CLI ended before it printed the batch UUID"
    uuid = batch_uuid(line)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stdout == ""
    assert f"resume with: exifq strip --batch {uuid} -o out/" in stderr

    service.start_worker()
    again = cli("strip", "--batch", uuid, "-o", "out", api_url=service.api_url, cwd=tmp_path)
    assert again.returncode == 1, again.stderr  # the non-image
    lines = json_lines(again.stdout)
    assert [line["name"] for line in lines] == list(files)
    for line in lines:
        assert line["status"] == ("failed" if line["name"] == "notes/readme.jpg" else "completed")
        assert (tmp_path / "out" / line["name"]).is_file() == (line["status"] == "completed")


def test_one_file_prints_one_object_and_an_unknown_batch_is_an_error(stack, tmp_path):
    source = tmp_path / "GPS.jpg"
    source.write_bytes(corpus_data("exiftool/t/images/GPS.jpg"))
    done = cli("hash", "GPS.jpg", api_url=stack.api_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)  # one (indented) object
    assert body["name"] == "GPS.jpg" and body["hashes"]["phash"]
    done = cli("extract", "--no-pixels", "GPS.jpg", api_url=stack.api_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    expected = run("extract", source.read_bytes(), "GPS.jpg", pixels=False)
    assert json.loads(done.stdout)["metadata"] == expected.result["metadata"]
    assert (
        expected.result["metadata"]
        != run("extract", source.read_bytes(), "GPS.jpg").result["metadata"]
    )
    gone = cli(
        "hash",
        "--batch",
        "00000000-0000-4000-8000-000000000000",
        api_url=stack.api_url,
        cwd=tmp_path,
    )
    assert gone.returncode == 1
    assert json.loads(gone.stdout)["error"] == {
        "code": "not_found",
        "message": "Job not found or expired",
    }
    assert gone.stderr.splitlines()[-1] == (
        "exifq: 00000000-0000-4000-8000-000000000000: not_found: Job not found or expired"
    )


def copies(root: Path) -> dict[str, list[str]]:
    """Two corpus photos, each with copies elsewhere in the tree; original → its copies."""
    canon = corpus_data("exif-samples/jpg/Canon_40D.jpg")
    gps = corpus_data("exiftool/t/images/GPS.jpg")
    for name, data in {"a/Canon_40D.jpg": canon, "a/GPS.jpg": gps}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    (root / "b").mkdir()
    shutil.copy(root / "a/Canon_40D.jpg", root / "b/canon-copy.jpg")
    image = Image.open(io.BytesIO(canon))
    small = image.resize((image.width // 2, image.height // 2))
    small.save(root / "b/canon-small.jpg", quality=70)
    image.save(root / "b/canon.png")
    shutil.copy(root / "a/GPS.jpg", root / "gps-copy.jpg")
    return {
        "a/Canon_40D.jpg": ["b/canon-copy.jpg", "b/canon-small.jpg", "b/canon.png"],
        "a/GPS.jpg": ["gps-copy.jpg"],
    }


def test_dedupe_prints_each_original_with_its_copies(stack, tmp_path):
    expected = copies(tmp_path / "photos")
    done = cli("dedupe", "photos", "--range", "8", api_url=stack.api_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    clusters = {}
    for block in done.stdout.strip().split("\n\n"):
        kept, *removed = block.splitlines()
        clusters[kept] = sorted(line.split("\t")[0].strip() for line in removed)
    assert clusters == expected
    exact = [line for line in done.stdout.splitlines() if "b/canon-copy.jpg" in line]
    assert exact == ["    b/canon-copy.jpg\tdistance 0"]
    assert "2 clusters, 4 duplicates, 0 files not hashed" in done.stderr


def test_dedupe_reports_files_it_could_not_hash_and_prints_the_answer_as_json(stack, tmp_path):
    copies(tmp_path / "photos")
    (tmp_path / "photos" / "notes.txt").write_text("not an image")
    done = cli("dedupe", "photos", "--json", api_url=stack.api_url, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "notes.txt: unsupported_format" in done.stderr
    answer = json.loads(done.stdout)
    assert answer["status"] == {"code": 300, "text": "MIXED_RESULT"}
    assert [r["_id"] for r in answer["skipped_records"]] == ["notes.txt"]
    kept = {r["_id"]: r for r in answer["records"]}
    assert sorted(r["_id"] for r in kept["a/Canon_40D.jpg"]["removed_records"]) == [
        "b/canon-copy.jpg",
        "b/canon-small.jpg",
        "b/canon.png",
    ]


def test_a_run_over_the_server_limits_goes_as_several_batches_that_resume_together(
    new_stack, tmp_path
):
    service = new_stack(MAX_BATCH_ITEMS=2, MAX_BATCH_BYTES=200_000)
    service.api_url = service.start_api()
    service.start_worker()
    # 5 files: two by count (GPS.jpg, Canon_40D.jpg), then the 179 kB exif.png fits beside
    # neither its neighbours: 4 batches.
    files = make_tree(tmp_path / "in")
    done = cli("strip", "in", "-o", "out", api_url=service.api_url, cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # the non-image
    assert "sending them as 4 batches" in done.stderr
    hint = re.search(r"to resume watching: exifq (.*)", done.stderr).group(1)
    uuids = re.findall(r"[0-9a-f-]{36}", hint)
    assert len(set(uuids)) == 4 and hint.startswith(f"strip --batch {','.join(uuids)} -o out/")
    lines = json_lines(done.stdout)
    assert [line["name"] for line in lines] == list(files)
    for line, (name, data) in zip(lines, files.items(), strict=True):
        if name == "notes/readme.jpg":
            assert line["error"]["code"] == "unsupported_format"
            continue
        cleaned = run("remove", data, Path(name).name).cleaned
        assert (tmp_path / "out" / name).read_bytes() == cleaned, name
    # Resuming all three prints the same lines, fetching nothing again.
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*") if p.is_file()}
    again = cli(*shlex.split(hint), api_url=service.api_url, cwd=tmp_path)
    assert again.returncode == 1, again.stderr
    assert json_lines(again.stdout) == lines
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    # One file larger than a whole request is refused by the server, with a clear error.
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "huge.jpg").write_bytes(b"x" * 300_000)
    refused = cli("hash", "big", api_url=service.api_url, cwd=tmp_path)
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["httpStatus"] == 413
    assert "MAX_BATCH_BYTES" in refused.stderr
    # A de-duplication cannot be split: over the limits it is not sent at all.
    dedupe = cli("dedupe", "in", api_url=service.api_url, cwd=tmp_path)
    assert dedupe.returncode == 1 and "cannot be split, so none was sent" in dedupe.stderr


def test_the_printed_resume_command_works_for_a_single_file(stack, tmp_path):
    (tmp_path / "GPS.jpg").write_bytes(corpus_data("exiftool/t/images/GPS.jpg"))
    done = cli("strip", "GPS.jpg", "-o", "clean.jpg", api_url=stack.api_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    first = json.loads(done.stdout)
    assert first["output"] == "clean.jpg"
    stamp = (tmp_path / "clean.jpg").stat().st_mtime_ns
    hint = re.search(r"to resume watching: exifq (.*)", done.stderr).group(1)
    again = cli(*shlex.split(hint), api_url=stack.api_url, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == first  # one object again, the same file
    assert (tmp_path / "clean.jpg").stat().st_mtime_ns == stamp
