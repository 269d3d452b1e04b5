"""Uploadcare's documented upload and file-info calls against ``/compat/uploadcare``.

The seed (``uploadcare-file-analysis.txt``) gives the file info; the calls are
the ones Uploadcare documents (``curl -F UPLOADCARE_PUB_KEY=... -F file=@...
https://upload.uploadcare.com/base/`` and ``curl -H "Authorization:
Uploadcare.Simple PUB:SECRET" https://api.uploadcare.com/files/UUID/``), with
both hosts replaced by the adapter's base URL.
"""

from __future__ import annotations

import shutil

import pytest
import requests

from tests.conftest import corpus_path
from tests.integration.conftest import COMPAT_KEYS
from tests.support.compat import native, never_server_error, run_curl

PUBLIC, SECRET = COMPAT_KEYS["uploadcare"]
PHONE = "exif-samples/jpg/hdr/iphone_hdr_YES.jpg"  # GPS, orientation, date taken


def _upload(compat_stack, tmp_path) -> str:
    shutil.copy(corpus_path(PHONE), tmp_path / "image.jpg")
    base = f"{compat_stack.api_url}/compat/uploadcare"
    command = (
        f'curl -F "UPLOADCARE_PUB_KEY={PUBLIC}" -F "UPLOADCARE_STORE=auto" '
        f'-F "file=@image.jpg" "{base}/base/"'
    )
    answer = run_curl(command, tmp_path)
    assert set(answer) == {"file"} and isinstance(answer["file"], str)
    return answer["file"]


def _info(compat_stack, tmp_path, uuid: str) -> dict:
    base = f"{compat_stack.api_url}/compat/uploadcare"
    command = (
        'curl -H "Accept: application/vnd.uploadcare-v0.7+json" '
        f'-H "Authorization: Uploadcare.Simple {PUBLIC}:{SECRET}" '
        f'"{base}/files/{uuid}/?include=appdata"'
    )
    return run_curl(command, tmp_path)


def test_upload_then_file_info_as_the_seed_shows(compat_stack, tmp_path):
    uuid = _upload(compat_stack, tmp_path)
    info = _info(compat_stack, tmp_path, uuid)
    assert info["uuid"] == uuid and info["mime_type"] == "image/jpeg"
    assert info["size"] == corpus_path(PHONE).stat().st_size
    assert info["original_filename"] == "image.jpg"
    assert info["is_image"] is True and info["is_ready"] is True
    assert isinstance(info["datetime_uploaded"], str) and info["datetime_uploaded"].endswith("Z")
    assert info["url"] == f"{compat_stack.api_url}/compat/uploadcare/files/{uuid}/"
    assert info["content_info"]["mime"] == {
        "mime": "image/jpeg",
        "type": "image",
        "subtype": "jpeg",
    }
    image = info["content_info"]["image"]
    assert image["format"] == "JPEG" and image["sequence"] is False
    assert isinstance(image["width"], int) and isinstance(image["height"], int)
    assert isinstance(image["orientation"], int)
    geo = image["geo_location"]
    assert isinstance(geo["latitude"], float) and isinstance(geo["longitude"], float)
    assert len(image["datetime_original"]) == 19 and image["datetime_original"][10] == "T"
    assert image["dpi"] is None or [type(d) for d in image["dpi"]] == [int, int]
    assert len(image["hash"]) == 16 and int(image["hash"], 16) >= 0
    assert info["image_info"]["hash"] == image["hash"] and info["image_info"]["id"] == uuid
    assert info["appdata"] == {}  # no CLAMD_URL on this stack: no scan, none made up


def test_results_equal_the_native_api(compat_stack, tmp_path):
    info = _info(compat_stack, tmp_path, _upload(compat_stack, tmp_path))
    data = corpus_path(PHONE).read_bytes()
    mine = native(compat_stack.api_url, "extract", SECRET, files={"file": ("i.jpg", data)})
    metadata = mine["metadata"]
    image = info["content_info"]["image"]
    assert image["hash"] == metadata["pHash"]
    assert image["geo_location"] == {
        "latitude": metadata["gps"]["latitude"],
        "longitude": metadata["gps"]["longitude"],
    }
    assert (image["width"], image["height"]) == (
        metadata["image"]["width"],
        metadata["image"]["height"],
    )
    assert image["orientation"] == metadata["image"]["orientation"]
    assert image["datetime_original"] == metadata["datetimeOriginal"][:19]


def test_wrong_keys_answer_uploadcare_errors(compat_stack, tmp_path):
    base = f"{compat_stack.api_url}/compat/uploadcare"
    data = corpus_path(PHONE).read_bytes()
    for form in ({"UPLOADCARE_PUB_KEY": "nope"}, {"UPLOADCARE_PUB_KEY": SECRET}):
        answer = requests.post(f"{base}/base/", data=form, files={"file": data})
        assert answer.status_code == 403
        assert answer.json()["error"]["errorCode"] == "ProjectPublicKeyInvalidError"
    missing = requests.post(f"{base}/base/", files={"file": data})
    assert missing.status_code == 400 and missing.json()["error"]["statusCode"] == 400
    uuid = _upload(compat_stack, tmp_path)
    for header in (
        f"Uploadcare.Simple {PUBLIC}:nope",
        f"Uploadcare.Simple nope:{SECRET}",
        f"Uploadcare.Simple {PUBLIC}",
        "",
    ):
        answer = requests.get(f"{base}/files/{uuid}/", headers={"Authorization": header})
        assert answer.status_code == 401 and isinstance(answer.json()["detail"], str)


@pytest.mark.parametrize(
    "path",
    ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "%ED%A0%80", "a" * 1000],
    ids=range(4),
)
def test_unknown_files_are_404(compat_stack, path):
    answer = requests.get(
        f"{compat_stack.api_url}/compat/uploadcare/files/{path}/",
        headers={"Authorization": f"Uploadcare.Simple {PUBLIC}:{SECRET}"},
    )
    never_server_error(answer)
    assert answer.status_code == 404 and answer.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    "files", [{}, {"file": b""}, {"file": b"plain text"}], ids=["none", "empty", "text"]
)
def test_bad_uploads_answer_upload_errors(compat_stack, files):
    answer = requests.post(
        f"{compat_stack.api_url}/compat/uploadcare/base/",
        data={"UPLOADCARE_PUB_KEY": PUBLIC},
        files=files,
    )
    never_server_error(answer)
    assert 400 <= answer.status_code < 500, answer.text
    error = answer.json()["error"]
    assert error["statusCode"] == answer.status_code and isinstance(error["content"], str)


def test_a_broken_image_is_ready_and_no_image(compat_stack):
    base = f"{compat_stack.api_url}/compat/uploadcare"
    upload = requests.post(
        f"{base}/base/", data={"UPLOADCARE_PUB_KEY": PUBLIC}, files={"file": b"\xff\xd8\xff"}
    )
    assert upload.status_code == 200  # the upload is taken, as Uploadcare takes any file
    info = requests.get(
        f"{base}/files/{upload.json()['file']}/",
        headers={"Authorization": f"Uploadcare.Simple {PUBLIC}:{SECRET}"},
    ).json()
    assert info["is_ready"] is True and info["is_image"] is False
    assert info["content_info"] == {
        "mime": {"mime": "image/jpeg", "type": "image", "subtype": "jpeg"},
        "image": None,
    }
