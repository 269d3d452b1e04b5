"""What the command line says when things fail, against the real service and with --local:
one error shape (``exifq: <file>: <code>: <message>``), a summary line after every run of
several files, and the documented exit statuses (0 ok, 1 some failed, 2 usage, 3 no server).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from common.settings import child_environment
from tests.conftest import corpus_files
from tests.integration.test_cli import run_cli
from tests.support.stack import free_port

pytestmark = pytest.mark.integration

FILES = {f.id: f for f in corpus_files()}
CANON = FILES["exif-samples/jpg/Canon_40D.jpg"].data
GPS = FILES["exiftool/t/images/GPS.jpg"].data
KEY = "cli-errors-key"


def photos(root: Path) -> Path:
    """Three images, two corrupt JPEGs and a text file behind a .jpg name."""
    folder = root / "photos"
    (folder / "b").mkdir(parents=True)
    (folder / "a.jpg").write_bytes(CANON)
    (folder / "b" / "gps.jpg").write_bytes(GPS)
    (folder / "c.jpg").write_bytes(GPS)
    (folder / "broken1.jpg").write_bytes(CANON[:2000])
    (folder / "broken2.jpg").write_bytes(GPS[:1500])
    (folder / "notes.jpg").write_text("not an image")
    return folder


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("exifq: ")]


@pytest.mark.parametrize("where", ["server", "local"])
def test_a_run_of_several_files_ends_with_a_summary_and_one_line_per_failure(
    stack, tmp_path, where
):
    folder = photos(tmp_path)
    local = ["--local"] if where == "local" else []
    env = child_environment(EXIFQ_URL=stack.api_url)
    done = run_cli("hash", *local, str(folder), env=env, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    summary = "3 done, 3 failed (corrupt_image ×2, unsupported_format ×1)"
    assert done.stderr.splitlines()[-1] == summary
    errors = error_lines(done.stderr)
    assert [line.split(": ")[1:3] for line in errors] == [
        ["broken1.jpg", "corrupt_image"],
        ["broken2.jpg", "corrupt_image"],
        ["notes.jpg", "unsupported_format"],
    ]
    assert all(len(line.split(": ", 3)) == 4 and line.split(": ", 3)[3] for line in errors)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["success"] for line in lines] == [True, True, False, False, True, False]


def test_all_done_exits_0_with_its_summary(stack, tmp_path):
    folder = photos(tmp_path)
    for name in ("broken1.jpg", "broken2.jpg", "notes.jpg"):
        (folder / name).unlink()
    env = child_environment(EXIFQ_URL=stack.api_url)
    done = run_cli("extract", "--no-pixels", str(folder), env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == "3 done, 0 failed"
    assert error_lines(done.stderr) == []


def test_one_file_that_fails_has_its_error_line_and_no_summary(stack, tmp_path):
    (tmp_path / "broken.jpg").write_bytes(CANON[:2000])
    env = child_environment(EXIFQ_URL=stack.api_url)
    for local in ([], ["--local"]):
        done = run_cli("hash", *local, "broken.jpg", env=env, cwd=tmp_path)
        assert done.returncode == 1
        (line,) = error_lines(done.stderr)
        assert line.startswith("exifq: broken.jpg: corrupt_image: cannot read jpg image")
        assert "done," not in done.stderr


def test_no_server_is_exit_3_with_the_same_shape(tmp_path):
    folder = photos(tmp_path)
    url = f"http://127.0.0.1:{free_port()}"
    for argv in (["hash", str(folder)], ["dedupe", str(folder)]):
        done = run_cli(*argv, env=child_environment(EXIFQ_URL=url), cwd=tmp_path)
        assert done.returncode == 3, done.stderr
        assert error_lines(done.stderr) == [
            f"exifq: {folder}: server_unreachable: cannot connect to {url}: Connection refused; "
            "is the server running? (exifq dev starts one; EXIFQ_URL names another)"
        ]
        assert "HTTPConnectionPool" not in done.stderr + done.stdout
        assert "Max retries" not in done.stderr + done.stdout


def test_empty_arguments_are_refused_not_read_as_the_current_directory(tmp_path):
    (tmp_path / "here.jpg").write_bytes(GPS)  # what "" would have hashed
    env = child_environment(EXIFQ_URL=f"http://127.0.0.1:{free_port()}")
    for argv in (
        ["hash", "--local", ""],
        ["hash", "--local", "here.jpg", " "],
        ["hash", ""],
        ["strip", "--local", "", "-o", "out"],
        ["dedupe", ""],
    ):
        done = run_cli(*argv, env=env, cwd=tmp_path)
        assert done.returncode == 2, (argv, done.stderr)
        assert done.stdout == ""
        assert "empty" in done.stderr and "names no file" in done.stderr
    assert not (tmp_path / "out").exists()


def test_usage_mistakes_exit_2_before_anything_is_sent(tmp_path):
    (tmp_path / "a.jpg").write_bytes(GPS)
    env = child_environment(EXIFQ_URL=f"http://127.0.0.1:{free_port()}")  # nothing listens
    bad_type = run_cli("hash", "a.jpg", "--types", "sha1", env=env, cwd=tmp_path)
    assert bad_type.returncode == 2
    assert error_lines(bad_type.stderr) == [
        "exifq: a.jpg: bad_request: unknown types: sha1 "
        "(allowed: phash, dhash, ahash, whash, bmh0, bmh1, md5, sha256)"
    ]
    missing = run_cli("extract", "a.jpg", "missing.jpg", env=env, cwd=tmp_path)
    assert missing.returncode == 2
    assert error_lines(missing.stderr) == [
        "exifq: missing.jpg: not_found: No such file or directory"
    ]
    unknown = run_cli("extract", "--bogus", "a.jpg", env=env, cwd=tmp_path)
    assert unknown.returncode == 2 and "unrecognized arguments: --bogus" in unknown.stderr


def test_a_refused_key_is_one_line_and_exit_1(new_stack, tmp_path):
    service = new_stack(API_KEYS=KEY)
    service.api_url = service.start_api()
    (tmp_path / "a.jpg").write_bytes(GPS)
    env = child_environment(EXIFQ_URL=service.api_url, EXIFQ_API_KEY="wrong")
    done = run_cli("hash", "a.jpg", env=env, cwd=tmp_path)
    assert done.returncode == 1
    assert error_lines(done.stderr) == ["exifq: a.jpg: unauthorized: Invalid API key"]
    assert json.loads(done.stdout) == {
        "success": False,
        "error": {"code": "unauthorized", "message": "Invalid API key"},
        "httpStatus": 401,
    }
