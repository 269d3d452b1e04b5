"""Cloudinary's upload API against ``/compat/cloudinary``: Cloudinary's own Python SDK (which
signs the request) and a hand-signed curl call, with only the upload URL's prefix changed.

The seed (``cloudinary-semantic-extraction.txt``) describes the fields: its example asks
for the pHash, a colour analysis and the media metadata in one upload.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import time

import cloudinary
import cloudinary.uploader
import pytest
import requests

from api.compat.cloudinary import sign
from tests.conftest import corpus_path
from tests.integration.conftest import COMPAT_KEYS
from tests.support.compat import native, never_server_error, run_curl

API_KEY, API_SECRET = COMPAT_KEYS["cloudinary"]
SAMPLE = "exif-samples/jpg/Canon_40D.jpg"


@pytest.fixture()
def sdk(compat_stack):
    """Cloudinary's SDK configured as its documentation says, with our upload prefix."""
    cloudinary.config(
        cloud_name="demo",
        api_key=API_KEY,
        api_secret=API_SECRET,
        upload_prefix=f"{compat_stack.api_url}/compat/cloudinary",
    )
    yield cloudinary
    cloudinary.reset_config()


def _check_upload(body: dict, data: bytes) -> None:
    for name, kind in {
        "public_id": str,
        "version": int,
        "width": int,
        "height": int,
        "format": str,
        "bytes": int,
        "etag": str,
        "created_at": str,
        "resource_type": str,
    }.items():
        assert isinstance(body[name], kind), (name, body.get(name))
    assert (body["width"], body["height"], body["format"]) == (100, 68, "jpg")
    assert body["bytes"] == len(data) and body["etag"] == hashlib.md5(data).hexdigest()


def test_the_sdk_uploads_with_semantic_data(sdk, tmp_path):
    shutil.copy(corpus_path(SAMPLE), tmp_path / "sample.jpg")
    body = cloudinary.uploader.upload(
        str(tmp_path / "sample.jpg"), image_metadata=True, colors=True, phash=True
    )
    _check_upload(body, corpus_path(SAMPLE).read_bytes())
    assert len(body["phash"]) == 16 and int(body["phash"], 16) >= 0
    metadata = body["image_metadata"]
    assert metadata["Make"] == "Canon" and metadata["Model"] == "Canon EOS 40D"
    assert all(isinstance(v, str) for v in metadata.values())
    assert body["original_filename"] == "sample"
    assert body["colors"] and all(
        re.fullmatch(r"#[0-9A-F]{6}", hex_) and 0 < percent <= 100
        for hex_, percent in body["colors"]
    )
    names = {name for name, _ in body["predominant"]["google"]}
    assert names and names <= {"red", "orange", "yellow", "green", "teal", "blue", "purple",
                               "pink", "white", "gray", "black", "brown"}  # fmt: skip
    assert body["pages"] == 1 and "faces" not in body  # faces only when asked


def test_the_sdk_uploads_a_url_with_a_public_id(sdk, image_server):
    body = cloudinary.uploader.upload(f"{image_server}/{SAMPLE}", public_id="my_photo")
    _check_upload(body, corpus_path(SAMPLE).read_bytes())
    assert body["public_id"] == "my_photo" and "image_metadata" not in body


def test_a_hand_signed_curl_upload(compat_stack, tmp_path, image_server):
    timestamp = int(time.time())
    params = {"timestamp": timestamp, "phash": "true"}
    signature = sign(params, API_SECRET)  # as Cloudinary documents: sorted, then the secret
    expected = hashlib.sha1(f"phash=true&timestamp={timestamp}{API_SECRET}".encode()).hexdigest()
    assert signature == expected
    url = f"{compat_stack.api_url}/compat/cloudinary/v1_1/demo/image/upload"
    command = (
        f"curl {url} -X POST --data 'file={image_server}/{SAMPLE}&phash=true"
        f"&timestamp={timestamp}&api_key={API_KEY}&signature={signature}'"
    )
    body = run_curl(command, tmp_path)
    _check_upload(body, corpus_path(SAMPLE).read_bytes())
    mine = native(compat_stack.api_url, "extract", API_SECRET, url=f"{image_server}/{SAMPLE}")
    assert body["phash"] == mine["metadata"]["pHash"]  # the same engine as the native API
    assert body["etag"] == mine["metadata"]["file"]["md5"]


def test_wrong_credentials_answer_cloudinary_errors(compat_stack, tmp_path):
    url = f"{compat_stack.api_url}/compat/cloudinary/v1_1/demo/image/upload"
    data = corpus_path(SAMPLE).read_bytes()
    now = int(time.time())
    good = {"timestamp": str(now)}
    cases = [
        ({**good, "api_key": API_KEY, "signature": sign(good, "wrong-secret")}, 401),
        ({**good, "api_key": "123", "signature": sign(good, API_SECRET)}, 401),
        ({**good, "signature": sign(good, API_SECRET)}, 401),
        ({**good, "api_key": API_KEY}, 401),
        ({"timestamp": str(now - 7200), "api_key": API_KEY}, 400),
        ({"timestamp": "soon", "api_key": API_KEY}, 400),
    ]
    cases[4][0]["signature"] = sign({"timestamp": str(now - 7200)}, API_SECRET)
    cases[5][0]["signature"] = sign({"timestamp": "soon"}, API_SECRET)
    for form, status in cases:
        answer = requests.post(url, data=form, files={"file": data})
        assert answer.status_code == status, (form, answer.text)
        assert isinstance(answer.json()["error"]["message"], str)
    tampered = {**good, "phash": "true"}
    form = {**tampered, "api_key": API_KEY, "signature": sign(good, API_SECRET)}
    answer = requests.post(url, data=form, files={"file": data})
    assert answer.status_code == 401 and "String to sign" in answer.json()["error"]["message"]


def _signed(**params: object) -> dict:
    params = {"timestamp": str(int(time.time())), **params}
    return {**params, "api_key": API_KEY, "signature": sign(params, API_SECRET)}


BAD = [
    ({}, None),
    (_signed(), None),
    ({**_signed(), "file": "data:image/jpeg;base64,@@@"}, None),
    ({**_signed(), "file": "ftp://127.0.0.1/x.jpg"}, None),
    ({**_signed(), "file": "data:image/jpeg;base64," + "QUFB" * 10}, None),
]


@pytest.mark.parametrize("form,files", BAD, ids=range(len(BAD)))
def test_bad_input_is_a_400_error(compat_stack, form, files):
    url = f"{compat_stack.api_url}/compat/cloudinary/v1_1/demo/image/upload"
    answer = requests.post(url, data=form, files=files)
    never_server_error(answer)
    assert answer.status_code in (400, 401), answer.text
    assert isinstance(answer.json()["error"]["message"], str)


@pytest.mark.parametrize(
    "body",
    [
        b'{"file": 5, "timestamp": 1}',
        b'{"file": "http://127.0.0.1:9/a.jpg", "public_id": "\\ud800"}',
        b'{"file": {"a": 1}}',
        b'{"timestamp": ' + b"9" * 5000 + b"}",
        b"[1, 2]",
        b"{not json",
    ],
    ids=range(6),
)
def test_bad_json_is_never_a_server_error(compat_stack, body):
    url = f"{compat_stack.api_url}/compat/cloudinary/v1_1/demo/image/upload"
    answer = requests.post(url, data=body, headers={"Content-Type": "application/json"})
    never_server_error(answer)
    assert answer.status_code in (400, 401), answer.text
    assert isinstance(answer.json()["error"]["message"], str)
