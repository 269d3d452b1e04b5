"""The command line against real servers: ``exifq dev`` end to end, and the client commands."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from common.settings import child_environment
from tests.conftest import corpus_files
from tests.support.operations import run
from tests.support.stack import REPO, free_port

pytestmark = pytest.mark.integration

SAMPLES = [
    f
    for f in corpus_files()
    if f.id in ("exif-samples/jpg/Canon_40D.jpg", "exiftool/t/images/GPS.jpg")
]


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``, from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def read_lines(stream, lines: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        lines.put(line)


def test_dev_runs_the_whole_stack_and_ctrl_c_stops_all_of_it(tmp_path):
    port = free_port()
    env = child_environment(STORAGE="local", LOCAL_STORAGE_DIR=tmp_path / "store")
    env.pop("REDIS_URL", None)  # a private redis-server (or fakeredis) of its own
    log = (tmp_path / "dev.log").open("w")
    dev = subprocess.Popen(
        [sys.executable, "-m", "exifq", "dev", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=read_lines, args=(dev.stdout, lines), daemon=True).start()
    try:
        url = None
        while url is None:
            line = lines.get(timeout=120)
            if line.startswith("exifq is running at "):
                url = line.split()[4]
        assert url == f"http://127.0.0.1:{port}"
        (file,) = [f for f in SAMPLES if f.path.name == "GPS.jpg"]
        answer = requests.post(
            f"{url}/api/v1/extract", files={"file": ("GPS.jpg", file.data)}, params={"wait": 30}
        )
        assert answer.status_code == 200, answer.text
        expected = run("extract", file.data, "GPS.jpg").result
        assert answer.json()["metadata"] == expected["metadata"]
        children = descendants(dev.pid)
        assert len(children) >= 4  # redis, celery (+ pool), gunicorn (+ worker)
    finally:
        dev.send_signal(signal.SIGINT)
        assert dev.wait(60) == 0
    assert not [pid for pid in children if alive(pid)]


def run_cli(*argv: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "exifq", *argv],
        cwd=cwd,
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_client_extracts_several_files_as_json_lines(stack, tmp_path):
    paths = []
    for file in SAMPLES:
        paths.append(tmp_path / file.path.name)
        paths[-1].write_bytes(file.data)
    not_an_image = tmp_path / "notes.jpg"
    not_an_image.write_text("hello")
    env = child_environment(EXIFQ_URL=stack.api_url)
    done = run_cli("extract", *map(str, paths), str(not_an_image), env=env, cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # one file failed
    bodies = [json.loads(line) for line in done.stdout.splitlines()]
    assert [b["fileName"] for b in bodies] == [p.name for p in paths] + ["notes.jpg"]
    for file, body in zip(SAMPLES, bodies, strict=False):
        assert body["status"] == "completed"
        expected = run("extract", file.data, file.path.name).result
        assert body["metadata"] == expected["metadata"]
    assert bodies[-1]["success"] is False
    assert bodies[-1]["error"]["code"] == "unsupported_format"  # a failed item of the batch


def test_client_strip_downloads_the_cleaned_file(stack, tmp_path):
    file = SAMPLES[0]
    source = tmp_path / "in.jpg"
    source.write_bytes(file.data)
    env = child_environment(EXIFQ_URL=stack.api_url)
    done = run_cli("strip", str(source), "-o", str(tmp_path / "out.jpg"), env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["output"] == str(tmp_path / "out.jpg")
    expected = run("remove", file.data, "in.jpg")
    assert (tmp_path / "out.jpg").read_bytes() == expected.cleaned


def test_client_says_when_no_server_answers(tmp_path):
    source = tmp_path / "in.jpg"
    source.write_bytes(SAMPLES[0].data)
    url = f"http://127.0.0.1:{free_port()}"
    env = child_environment(EXIFQ_URL=url)
    done = run_cli("hash", str(source), env=env, cwd=tmp_path)
    assert done.returncode == 3
    body = json.loads(done.stdout)
    assert body["success"] is False and body["error"]["code"] == "server_unreachable"
    assert done.stderr.splitlines() == [
        f"exifq: {source}: server_unreachable: cannot connect to {url}: Connection refused; "
        "is the server running? (exifq dev starts one; EXIFQ_URL names another)"
    ]
