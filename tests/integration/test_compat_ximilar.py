"""Ximilar's own curl examples (``ximilar-image-matching.txt``) against
``/compat/ximilar/image_matching/v2``, with only the base URL and the image URLs replaced
(``__URL_PATH_n__`` → images on the test's image server; the fourth one is missing there,
as the seed's ``__URL_PATH_4_NOT_WORKING__`` is). The token is the seed's placeholder."""

from __future__ import annotations

import pytest
import requests

from tests.integration.conftest import COMPAT_KEYS
from tests.support.compat import native, never_server_error, run_curl
from tests.support.seeds import seed_text, shell_commands, substitute
from worker.media.hashes import to_bits

TOKEN = COMPAT_KEYS["ximilar"]
PHOTO = "exif-samples/jpg/Canon_40D.jpg"
RESAVED = "exif-samples/jpg/Canon_40D_photoshop_import.jpg"  # the same photo, saved again
OTHER = "exif-samples/jpg/Kodak_CX7530.jpg"


def _commands(compat_stack, image_server, second: str) -> dict[str, str]:
    replacements = {
        "https://api.ximilar.com": f"{compat_stack.api_url}/compat/ximilar",
        "https://images.ximilar.com/examples/fashion_products/10073009-HERO.jpeg": (
            f"{image_server}/{PHOTO}"
        ),
        "__URL_PATH_1__": f"{image_server}/{PHOTO}",
        "__URL_PATH_2__": f"{image_server}/{second}",
        "__URL_PATH_3__": f"{image_server}/{OTHER}",
        "__URL_PATH_4_NOT_WORKING__": f"{image_server}/no/such/image.jpg",
    }
    commands = shell_commands(seed_text("ximilar-image-matching.txt"))
    assert len(commands) == 4, commands
    return {title.rsplit("/", 1)[1]: substitute(cmd, replacements) for title, cmd in commands}


def _check_status(status: dict, code: int, text: str) -> None:
    assert status["code"] == code and status["text"] == text, status
    assert isinstance(status["request_id"], str)


def test_ping_and_visual_hash_as_the_seed_shows(compat_stack, image_server, tmp_path):
    commands = _commands(compat_stack, image_server, RESAVED)
    ping = run_curl(commands["ping"], tmp_path)
    assert ping["status"] == {"code": 200, "text": "OK"}
    assert isinstance(ping["_service_info"]["_name"], str)
    assert isinstance(ping["_service_info"]["_info"], str)

    body = run_curl(commands["visual_hash"], tmp_path)
    _check_status(body["status"], 200, "OK")
    assert isinstance(body["statistics"]["processing time"], float)
    (record,) = body["records"]
    assert record["_url"] == f"{image_server}/{PHOTO}"
    assert (record["_width"], record["_height"]) == (100, 68)
    assert len(record["bmh1"]) == 968 and not record["bmh1"].strip("01")
    assert len(record["phash"]) == 64 and not record["phash"].strip("01")
    # the same engine as the native hash job
    mine = native(compat_stack.api_url, "hash", TOKEN, url=record["_url"], types="phash,bmh1")
    assert record["phash"] == to_bits(mine["hashes"]["phash"])
    assert record["bmh1"] == mine["hashes"]["bmh1"]


def test_remove_duplicates_as_the_seed_shows(compat_stack, image_server, tmp_path):
    body = run_curl(_commands(compat_stack, image_server, OTHER)["remove_duplicates"], tmp_path)
    _check_status(body["status"], 200, "OK")
    assert body["status"]["proc_id"]
    first, third = body["records"]
    assert (first["_id"], third["_id"]) == ("1", "3")
    assert [r["_id"] for r in first["removed_records"]] == ["2"]
    removed = first["removed_records"][0]
    assert removed["_url"] == first["_url"] and removed["_width"] == first["_width"] == 100
    for record in (first, removed, third):
        _check_status(record["_status"], 200, "OK")
        assert isinstance(record["_width"], int) and isinstance(record["_height"], int)
    assert isinstance(body["statistics"]["processing time"], float)


def test_rank_images_as_the_seed_shows(compat_stack, image_server, tmp_path):
    body = run_curl(_commands(compat_stack, image_server, RESAVED)["rank_images"], tmp_path)
    _check_status(body["status"], 300, "MIXED_RESULT")
    (query,) = body["query_records"]
    assert query["_url"] == f"{image_server}/{PHOTO}" and query["_width"] == 100
    urls = [r["_url"].rsplit("/", 1)[1] for r in body["answer_records"]]
    assert urls == ["Canon_40D.jpg", "Canon_40D_photoshop_import.jpg", "Kodak_CX7530.jpg"]
    distances = body["answer_distances"]
    assert all(isinstance(d, float) for d in distances) and distances[0] == 0.0
    assert distances == sorted(distances) and distances[2] > distances[1]
    assert all(isinstance(r["_id"], str) for r in body["answer_records"])
    (skipped,) = body["skipped_records"]
    assert skipped["_url"].endswith("/no/such/image.jpg") and isinstance(skipped["_id"], str)
    assert skipped["_status"]["code"] == 400 and isinstance(skipped["_status"]["text"], str)


def test_clusters_equal_the_native_api(compat_stack, image_server):
    urls = [f"{image_server}/{p}" for p in (PHOTO, RESAVED, OTHER, PHOTO)]
    records = [{"_url": url, "_id": str(i)} for i, url in enumerate(urls)]
    request = {"records": records, "hash_type": "phash", "range": 8}
    compat = requests.post(
        f"{compat_stack.api_url}/compat/ximilar/image_matching/v2/remove_duplicates",
        headers={"Authorization": f"Token {TOKEN}"},
        json=request,
        timeout=60,
    ).json()
    mine = requests.post(
        f"{compat_stack.api_url}/api/v1/remove_duplicates?wait=30",
        headers={"X-API-Key": TOKEN},
        json=request,
        timeout=60,
    ).json()

    def clusters(body: dict) -> list:
        removed = [[x["_id"] for x in r.get("removed_records", [])] for r in body["records"]]
        return [(r["_id"], ids) for r, ids in zip(body["records"], removed, strict=True)]

    assert clusters(compat) == clusters(mine)
    assert clusters(compat)[0] == ("0", ["3"])  # the same file twice; the others apart


def test_a_wrong_token_is_401(compat_stack):
    base = f"{compat_stack.api_url}/compat/ximilar/image_matching/v2"
    for headers in ({"Authorization": "Token nope"}, {}, {"Authorization": f"Bearer {TOKEN}"}):
        for method in ("ping", "visual_hash"):
            answer = requests.post(f"{base}/{method}", headers=headers, json={"records": []})
            assert answer.status_code == 401 and isinstance(answer.json()["detail"], str)


BAD = [
    b"{not json",
    b"[]",
    b"{}",
    b'{"records": 5}',
    b'{"records": [5]}',
    b'{"records": []}',
    b'{"records": [{"_url": "http://127.0.0.1:9/b.jpg"}], "hash_type": 5}',
    b'{"records": [{"_url": "http://127.0.0.1:9/b.jpg"}], "hash_type": "md5"}',
    b'{"records": [{"_url": "http://127.0.0.1:9/b.jpg"}], "range": "x"}',
    b'{"records": [{"_url": "http://127.0.0.1:9/b.jpg"}], "range": 1' + b"0" * 40 + b"}",
    b'{"records": [{"_url": "http://127.0.0.1:9/b.jpg", "_id": "\\ud800"}]}',
    b'{"records": [{"_url": "\\udfff"}]}',
    b'{"records": [{"_url": "http://127.0.0.1:9/b.jpg"}], "k": ' + b"9" * 5000 + b"}",
]


@pytest.mark.parametrize("body", BAD, ids=range(len(BAD)))
def test_bad_input_is_a_400_with_a_status(compat_stack, body):
    for method in ("remove_duplicates", "rank_images", "visual_hash"):
        answer = requests.post(
            f"{compat_stack.api_url}/compat/ximilar/image_matching/v2/{method}",
            headers={"Authorization": f"Token {TOKEN}", "Content-Type": "application/json"},
            data=body,
            timeout=60,
        )
        never_server_error(answer)
        if answer.status_code == 200:  # visual_hash takes no range: its record is tried
            assert method == "visual_hash" and b'"range"' in body, answer.text
            continue
        assert answer.status_code == 400, (method, answer.text)
        status = answer.json()["status"]
        assert status["code"] == 400 and isinstance(status["text"], str)
