"""ImageKit's "Get file metadata from remote URL" against ``/compat/imagekit``.

The seed (``imagekit-metadata.txt``) gives the metadata object; the call is
the one ImageKit documents, ``GET /v1/metadata?url=...`` with the private key
as Basic user name and an empty password (``curl -u KEY:``), with only the
base URL replaced.
"""

from __future__ import annotations

import pytest
import requests

from tests.integration.conftest import COMPAT_KEYS
from tests.support.compat import native, never_server_error, run_curl

KEY = COMPAT_KEYS["imagekit"]
SAMPLE = "exif-samples/jpg/Canon_40D.jpg"


def _check_seed_object(body: dict) -> None:
    """The seed's fields with the seed's types (its example is this very photo)."""
    for name, kind in {
        "height": int,
        "width": int,
        "size": int,
        "format": str,
        "hasColorProfile": bool,
        "quality": int,
        "density": int,
        "hasTransparency": bool,
        "pHash": str,
        "exif": dict,
    }.items():
        assert isinstance(body[name], kind), (name, body.get(name))
    assert (body["width"], body["height"], body["format"], body["density"]) == (100, 68, "jpg", 72)
    assert body["hasColorProfile"] is True and body["hasTransparency"] is False
    assert len(body["pHash"]) == 16 and int(body["pHash"], 16) >= 0
    exif = body["exif"]
    assert set(exif) == {"image", "thumbnail", "exif", "gps", "interoperability", "makernote"}
    assert exif["image"]["Make"] == "Canon" and exif["image"]["Orientation"] == 1
    assert exif["image"]["ModifyDate"] == "2008:07:31 10:38:11"
    assert exif["thumbnail"]["Compression"] == 6 and exif["thumbnail"]["ThumbnailLength"] == 1378
    assert exif["exif"]["ExposureTime"] == 0.00625 and exif["exif"]["FNumber"] == 7.1
    assert exif["exif"]["ISO"] == 100 and exif["exif"]["ExifVersion"] == "0221"
    assert exif["gps"]["GPSVersionID"] == [2, 2, 0, 0]
    assert exif["interoperability"] == {"InteropIndex": "R98", "InteropVersion": "0100"}
    assert exif["makernote"] == {}


def test_the_documented_call_answers_the_seed_object(compat_stack, image_server, tmp_path):
    base = f"{compat_stack.api_url}/compat/imagekit"
    command = f'curl -X GET "{base}/v1/metadata?url={image_server}/{SAMPLE}" \\\n-u {KEY}:'
    _check_seed_object(run_curl(command, tmp_path))
    answer = requests.get(
        f"{base}/v1/metadata", params={"url": f"{image_server}/{SAMPLE}"}, auth=(KEY, "")
    )
    assert answer.status_code == 200
    _check_seed_object(answer.json())


def test_results_equal_the_native_api(compat_stack, image_server):
    url = f"{image_server}/{SAMPLE}"
    body = requests.get(
        f"{compat_stack.api_url}/compat/imagekit/v1/metadata", params={"url": url}, auth=(KEY, "")
    ).json()
    mine = native(compat_stack.api_url, "extract", KEY, url=url)["metadata"]
    assert body["pHash"] == mine["pHash"] and body["size"] == mine["file"]["size"]
    assert body["quality"] == mine["image"]["quality"]
    for section in ("image", "thumbnail", "exif", "gps", "interoperability"):
        assert body["exif"][section] == mine["exif"][section]


@pytest.mark.parametrize(
    "auth", [("nope", ""), None, ("", KEY)], ids=["wrong", "none", "password-only"]
)
def test_a_wrong_key_is_401(compat_stack, image_server, auth):
    answer = requests.get(
        f"{compat_stack.api_url}/compat/imagekit/v1/metadata",
        params={"url": f"{image_server}/{SAMPLE}"},
        auth=auth,
    )
    assert answer.status_code == 401
    assert set(answer.json()) == {"message", "help"}


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"url": ""},
        {"url": "ftp://127.0.0.1/a.jpg"},
        {"url": "not a url"},
        {"url": "http://127.0.0.1:9/" + "a" * 3000},  # beyond the URL limit (2048)
        {"url": "http://127.0.0.1:9/\udfff.jpg".encode("utf-8", "surrogatepass")},
    ],
    ids=range(6),
)
def test_bad_input_is_a_400_with_a_message(compat_stack, query):
    answer = requests.get(
        f"{compat_stack.api_url}/compat/imagekit/v1/metadata", params=query, auth=(KEY, "")
    )
    never_server_error(answer)
    assert answer.status_code == 400, answer.text
    assert isinstance(answer.json()["message"], str) and "help" in answer.json()


def test_a_file_that_is_no_image_is_a_400(compat_stack, image_server):
    answer = requests.get(
        f"{compat_stack.api_url}/compat/imagekit/v1/metadata",
        params={"url": f"{image_server}/README.md"},
        auth=(KEY, ""),
    )
    assert answer.status_code == 400 and isinstance(answer.json()["message"], str)
