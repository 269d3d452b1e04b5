"""The client's pure parts: inputs and names, output paths, streamed bodies, the watch loop."""

from __future__ import annotations

import argparse
import base64
import io
import itertools
import json
import os
import random
from pathlib import Path

import pytest
import requests
from werkzeug.formparser import parse_form_data

from common.names import relative_name
from exifq.cli import batch, dedupe
from exifq.cli import plan as plans
from exifq.inputs import Input, InputError, collect_inputs, output_path
from exifq.sources import LazyFile
from exifq.streams import (
    FIELDS_ALLOWANCE,
    JsonRecordsBody,
    multipart_body,
    split_for_batches,
)


def tree(root: Path) -> Path:
    """photos/{b.jpg, a.jpg, 2024/c.png, .hidden, .git/x, link -> a.jpg, fifo}."""
    photos = root / "photos"
    (photos / "2024").mkdir(parents=True)
    (photos / ".git").mkdir()
    (photos / "b.jpg").write_bytes(b"b" * 3)
    (photos / "a.jpg").write_bytes(b"a" * 5)
    (photos / "2024" / "c.png").write_bytes(b"c")
    (photos / ".hidden").write_bytes(b"h")
    (photos / ".git" / "x").write_bytes(b"x")
    (photos / "link").symlink_to(photos / "a.jpg")
    (photos / "linked-dir").symlink_to(photos / "2024")
    os.mkfifo(photos / "fifo")
    return photos


def test_directories_are_walked_sorted_and_named_relative_to_the_argument(tmp_path):
    photos = tree(tmp_path)
    single = tmp_path / "single.gif"
    single.write_bytes(b"gif")
    inputs = collect_inputs([str(photos), str(single)])
    assert [(i.name, i.size) for i in inputs] == [
        ("2024/c.png", 1),
        ("a.jpg", 5),
        ("b.jpg", 3),
        ("single.gif", 3),
    ]
    assert inputs[0].path == photos / "2024" / "c.png"


def test_bad_arguments_and_clashing_names_are_refused(tmp_path):
    photos = tree(tmp_path)
    with pytest.raises(InputError, match="No such file"):
        collect_inputs([str(tmp_path / "missing.jpg")])
    with pytest.raises(InputError, match="not a regular file"):
        collect_inputs([str(photos / "fifo")])
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.jpg").write_bytes(b"")
    with pytest.raises(InputError, match=r"'a\.jpg'"):
        collect_inputs([str(photos), str(other)])


def test_relative_name_is_the_item_name_the_server_keeps():
    assert relative_name("photos\\2024/./a.jpg") == "photos/2024/a.jpg"
    assert relative_name("../../etc//passwd\x00\n") == "etc/passwd"
    assert relative_name(" a /.../\u200bb.jpg") == "a/b.jpg"
    assert relative_name("..") == "upload"


@pytest.mark.parametrize(
    "name", ["", "../x.jpg", "a/../../x.jpg", "/etc/passwd", "a\\..\\x", "a/\x00.jpg", "./a"]
)
def test_output_path_refuses_names_that_escape(tmp_path, name):
    with pytest.raises(ValueError):
        output_path(tmp_path, name)


def test_output_path_refuses_a_symlink_out_of_the_directory(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "sneaky").symlink_to(tmp_path)
    with pytest.raises(ValueError, match="outside"):
        output_path(out, "sneaky/x.jpg")
    assert output_path(out, "2024/x.jpg") == out / "2024" / "x.jpg"


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_multipart_body_is_what_the_server_parses_and_opens_one_file_at_a_time(tmp_path):
    rng = random.Random(1)
    files = []
    for i in range(300):
        path = tmp_path / f"{i}.bin"
        path.write_bytes(rng.randbytes(rng.randrange(0, 5000)))
        files.append(path)
    inputs = collect_inputs([str(tmp_path)])
    seen: list[int] = []
    body = multipart_body(inputs, {"operations": "hash", "types": "phash"}, seen.append)
    before = open_descriptors()
    chunks, most_open = [], 0
    while chunk := body.read(4096):
        chunks.append(chunk)
        most_open = max(most_open, open_descriptors() - before)
    data = b"".join(chunks)
    assert len(data) == body.len == seen[-1]
    assert most_open <= 1
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": body.content_type,
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
    }
    _, form, uploads = parse_form_data(environ)
    assert form.to_dict() == {"operations": "hash", "types": "phash"}
    parsed = uploads.getlist("file")
    assert [f.filename for f in parsed] == [i.name for i in inputs]
    assert [f.read() for f in parsed] == [i.path.read_bytes() for i in inputs]


def test_a_file_that_changes_after_listing_keeps_its_listed_size(tmp_path):
    shrinks, grows, vanishes = (tmp_path / n for n in ("shrinks", "grows", "vanishes"))
    for path in (shrinks, grows, vanishes):
        path.write_bytes(b"x" * 10)
    readers = [LazyFile(path, 10) for path in (shrinks, grows, vanishes)]
    shrinks.write_bytes(b"y" * 4)
    grows.write_bytes(b"z" * 20)
    vanishes.unlink()
    assert [r.read(-1) for r in readers] == [b"y" * 4 + bytes(6), b"z" * 10, bytes(10)]
    assert all(r.len == 0 and r.read(5) == b"" for r in readers)


@pytest.mark.parametrize("chunk", [1, 7, 4096, -1])
def test_json_records_body_equals_json_dumps_of_the_records(tmp_path, chunk):
    rng = random.Random(chunk)
    names = ["a.jpg", 'quote"and\\slash.png', "ünï/cödé.jpg", "empty"]
    for name, size in zip(names, [1, 2, 3 * 70_000 + 1, 0], strict=True):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(rng.randbytes(size))
    inputs = collect_inputs([str(tmp_path)])
    body = JsonRecordsBody(inputs, {"hash_type": "bmh1", "range": 8})
    total = body.len
    parts = []
    while part := body.read(chunk):
        parts.append(part)
    text = b"".join(parts)
    assert len(text) == total and body.len == 0
    records = [
        {"_id": i.name, "_base64": base64.b64encode(i.path.read_bytes()).decode()} for i in inputs
    ]
    expected = {"records": records, "hash_type": "bmh1", "range": 8}
    assert text == json.dumps(expected).encode()


def test_requests_sends_the_json_body_with_its_length(tmp_path):
    (tmp_path / "a.jpg").write_bytes(b"abc" * 1000)
    body = JsonRecordsBody(collect_inputs([str(tmp_path)]), {"range": 8})
    prepared = requests.Request("POST", "http://127.0.0.1:9/x", data=body).prepare()
    assert prepared.headers["Content-Length"] == str(body.total)
    assert "Transfer-Encoding" not in prepared.headers


def strip_args(**more) -> argparse.Namespace:
    base = {"command": "strip", "files": [], "batch": None, "output": None}
    return argparse.Namespace(**{**base, **more})


def test_strip_targets_and_the_resume_command(tmp_path):
    photos = tree(tmp_path)
    plan = plans.make_plan(strip_args(files=[str(photos)], output=str(tmp_path / "out")))
    plan.batches = [("B", 0)]
    assert plan.target(0, "2024/c.png") == tmp_path / "out" / "2024" / "c.png"
    with pytest.raises(ValueError):
        plan.target(0, "../escape.png")
    assert plans.resume_command(plan) == f"exifq strip --batch B -o {tmp_path / 'out'}/"

    beside = plans.make_plan(strip_args(files=[str(photos)]))
    beside.batches = [("B", 0)]
    assert beside.target(1, "a.jpg") == photos / "a.clean.jpg"
    assert plans.resume_command(beside) == f"exifq strip --batch B {photos}"
    resumed = plans.make_plan(strip_args(files=[str(photos)], batch=["B"]))
    assert resumed.target(99, "2024/c.png") == photos / "2024" / "c.clean.png"

    one = tmp_path / "one.jpg"
    one.write_bytes(b"1")
    single = plans.make_plan(strip_args(files=[str(one)], output=str(tmp_path / "o.jpg")))
    single.batches = [("B", 0)]
    assert single.single_file and single.target(0, "one.jpg") == tmp_path / "o.jpg"
    assert plans.resume_command(single) == f"exifq strip --batch B -o {tmp_path / 'o.jpg'}"
    # Resuming with no FILE: a batch of one, -o without a trailing "/" is the output file.
    resumed = plans.make_plan(strip_args(batch=["B"], output=str(tmp_path / "o.jpg")))
    resumed.single_file = True  # what finish() learns from the batch's total
    assert resumed.target(0, "one.jpg") == tmp_path / "o.jpg"
    resumed.output = str(tmp_path / "o") + "/"
    assert resumed.target(0, "one.jpg") == tmp_path / "o" / "one.jpg"
    # Several batches resume together.
    several = plans.make_plan(strip_args(batch=["A", "B"], output=str(tmp_path / "out")))
    assert several.batches == [("A", 0), ("B", 0)]
    assert plans.resume_command(several) == f"exifq strip --batch A,B -o {tmp_path / 'out'}/"


def test_a_run_larger_than_a_batch_is_split_in_order_into_requests_that_fit(tmp_path):
    rng = random.Random(3)
    names = ["a.jpg", 'quote"and\\slash.png', "ünï/cödé/写真.jpg", "x" * 200]
    inputs = []
    for i in range(120):
        path = tmp_path / f"{i}.bin"
        path.write_bytes(rng.randbytes(rng.randrange(0, 3000)))
        inputs.append(Input(path, f"{i}/{rng.choice(names)}", path.stat().st_size))
    fields = {"operations": "remove", "keep": "icc,orientation", "drop": "copyright"}
    for max_items, max_bytes in [(7, 10**9), (10**9, 90_000), (25, 110_000), (1, 10**9)]:
        chunks = split_for_batches(inputs, max_items, max_bytes)
        assert [item for chunk in chunks for item in chunk] == inputs
        for chunk in chunks:
            assert 1 <= len(chunk) <= max_items
            assert multipart_body(chunk, fields).len <= max_bytes
        # Greedy: no chunk could have taken the next one's first file, by count or by size
        # (within the allowance for the fields and the estimate of each part's framing).
        for chunk, after in itertools.pairwise(chunks):
            fuller = multipart_body([*chunk, after[0]], fields).len
            slack = FIELDS_ALLOWANCE + 1000 * len(chunk)
            assert len(chunk) == max_items or fuller > max_bytes - slack
    big = Input(inputs[0].path, "big.jpg", 200_000)
    assert split_for_batches([inputs[1], big, inputs[2]], 10, 100_000) == [
        [inputs[1]],
        [big],
        [inputs[2]],
    ]
    assert split_for_batches([], 10, 100) == []


def test_an_item_line_carries_the_error_or_refuses_an_unsafe_name(tmp_path):
    plan = plans.make_plan(strip_args(batch=["B"], output=str(tmp_path)))
    failed = {
        "index": 0,
        "name": "x/bad.jpg",
        "op": "remove",
        "uuid": "J",
        "status": "failed",
        "error": {"code": "unsupported_format", "message": "not an image"},
    }
    line = batch.item_line(None, plan, failed)
    assert line == {
        "name": "x/bad.jpg",
        "fileName": "bad.jpg",
        "success": False,
        "status": "failed",
        "uuid": "J",
        "error": failed["error"],
    }
    unsafe = {
        "index": 1,
        "name": "../../etc/x.jpg",
        "op": "remove",
        "uuid": "K",
        "status": "completed",
        "downloadUrl": "/download-cleaned/K",
        "result": {},
    }
    line = batch.item_line(None, plan, unsafe)  # no client: nothing may be downloaded
    assert line["success"] is False and line["error"]["code"] == "unsafe_name"


ANSWER = {
    "records": [
        {
            "_id": "a.jpg",
            "_status": {"code": 200, "text": "OK"},
            "removed_records": [{"_id": "copies/a.jpg", "_distance": 0}, {"_id": "a-small.jpg"}],
        },
        {"_id": "b.jpg", "_status": {"code": 200, "text": "OK"}},
        {"_id": "c.png", "removed_records": [{"_id": "c.jpg", "_distance": 3}]},
    ],
    "skipped_records": [
        {
            "_id": "notes.txt",
            "_status": {"code": 415, "text": "unsupported_format", "message": "not an image"},
        },
    ],
    "status": {"code": 300, "text": "MIXED_RESULT"},
}


def test_dedupe_reads_clusters_distances_and_failed_records():
    found = dedupe.clusters(ANSWER)
    assert found == [
        ("a.jpg", [("copies/a.jpg", 0), ("a-small.jpg", None)]),
        ("c.png", [("c.jpg", 3)]),
    ]
    assert dedupe.format_clusters(found) == (
        "a.jpg\n    copies/a.jpg\tdistance 0\n    a-small.jpg\n\nc.png\n    c.jpg\tdistance 3\n"
    )
    assert dedupe.failed_records(ANSWER) == [("notes.txt", "unsupported_format", "not an image")]


def test_local_strip_walks_a_directory_into_the_same_names(tmp_path, capsys):
    from exifq.cli import main
    from tests.conftest import corpus_files
    from tests.support.operations import run

    wanted = {
        "exif-samples/jpg/Canon_40D.jpg": "a/Canon_40D.jpg",
        "Pillow/Tests/images/exif.png": "b/c/exif.png",
    }
    for file in corpus_files():
        if file.id in wanted:
            (tmp_path / "in" / wanted[file.id]).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / "in" / wanted[file.id]).write_bytes(file.data)
    (tmp_path / "in" / "notes.jpg").write_bytes(b"not an image")
    status = main(["strip", "--local", str(tmp_path / "in"), "-o", str(tmp_path / "out")])
    assert status == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["name"], line["success"]) for line in lines] == [
        ("a/Canon_40D.jpg", True),
        ("b/c/exif.png", True),
        ("notes.jpg", False),
    ]
    for name in ("a/Canon_40D.jpg", "b/c/exif.png"):
        source = (tmp_path / "in" / name).read_bytes()
        expected = run("remove", source, Path(name).name).cleaned
        assert (tmp_path / "out" / name).read_bytes() == expected
    assert not (tmp_path / "out" / "notes.jpg").exists()
