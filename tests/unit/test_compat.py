"""The drop-in adapters' pure parts: signatures, credentials, settings and shape mappers."""

from __future__ import annotations

import base64

import pytest

from api.compat import base, cloudinary, exiftools, imagekit, uploadcare, ximilar
from common.jobs import COMPLETED, FAILED, PROCESSING, Job
from common.settings import load_settings


def _basic(user: str, password: str = "") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# ------------------------------------------------------------------ Cloudinary signatures


def test_cloudinary_signature_matches_its_documented_example():
    # support.cloudinary.com "How to generate a Cloudinary signature on my own"
    params = {"public_id": "sample_image", "timestamp": "1315060510"}
    assert cloudinary.sign(params, "abcd") == "b4ad47fb4e25c7bf5f92a20089f9db59bc302313"


@pytest.mark.parametrize(
    "params",
    [
        {"timestamp": 1315060510, "public_id": "sample"},
        {"timestamp": "1", "phash": "1", "colors": "1", "image_metadata": "1"},
        {"timestamp": "1", "tags": ["a", "b"], "context": "alt=x&caption=y"},
        {"timestamp": "1", "empty": "", "folder": "a/b", "faces": True},
    ],
)
@pytest.mark.parametrize("version", [1, 2])
def test_cloudinary_signature_equals_the_sdk(params, version):
    sdk = pytest.importorskip("cloudinary.utils")
    sent = {**params, "api_key": "k", "file": "x", "cloud_name": "c", "resource_type": "image"}
    signable = {k: v for k, v in params.items()}
    for algorithm in ("sha1", "sha256"):
        expected = sdk.api_sign_request(signable, "s3cret", algorithm, version)
        assert cloudinary.sign(sent, "s3cret", algorithm, version) == expected


def test_cloudinary_checks_signature_and_freshness():
    params = {"timestamp": "1000", "phash": "true"}
    signed = {**params, "signature": cloudinary.sign(params, "s")}
    cloudinary.check_signature(signed, "s", now=1000 + 3599)
    cloudinary.check_signature(
        {**params, "signature": cloudinary.sign(params, "s", "sha256")}, "s", 1000
    )
    with pytest.raises(base.Unauthorized, match="String to sign - 'phash=true&timestamp=1000'"):
        cloudinary.check_signature(signed, "other", now=1000)
    with pytest.raises(base.Unauthorized):
        cloudinary.check_signature({**signed, "colors": "1"}, "s", now=1000)
    with pytest.raises(base.Unauthorized):
        cloudinary.check_signature(params, "s", now=1000)
    with pytest.raises(cloudinary.BadRequest, match="Stale"):
        cloudinary.check_signature(signed, "s", now=1000 + 3601)
    with pytest.raises(cloudinary.BadRequest):
        cloudinary.check_signature({**signed, "timestamp": "x"}, "s", now=1000)


# ------------------------------------------------------------------ credentials


def test_basic_credentials():
    assert base.basic_user(_basic("private_key")) == "private_key"
    assert base.basic_user(_basic("key", "pw")) == "key"
    assert base.basic_user("basic " + base64.b64encode(b"k:").decode()) == "k"
    for header in (None, "", "Basic", "Basic !!!", _basic(""), "Token k", "Basic " + "w" * 3):
        assert base.basic_user(header) is None, header
    assert base.basic_user("Basic " + base64.b64encode(b"\xff:").decode()) is None


def test_token_credentials():
    assert base.token("Token abc") == "abc"
    assert base.token("token  abc ") == "abc"
    for header in (None, "", "Token", "Token ", "Bearer abc", "Tokenabc"):
        assert base.token(header) is None, header


def test_uploadcare_simple_credentials():
    assert base.uploadcare_simple("Uploadcare.Simple pub:sec") == ("pub", "sec")
    assert base.uploadcare_simple("Uploadcare.Simple pub:se:c") == ("pub", "se:c")
    for header in (None, "Uploadcare.Simple pub", "Uploadcare pub:sig", "Uploadcare.Simple :s"):
        assert base.uploadcare_simple(header) is None, header


def test_settings_choose_adapters_and_pair_keys():
    assert base.enabled(load_settings(COMPAT_ADAPTERS="")) == []
    assert base.enabled(load_settings(COMPAT_ADAPTERS="all")) == list(base.ADAPTERS)
    chosen = load_settings(COMPAT_ADAPTERS=" Ximilar, exiftools")
    assert base.enabled(chosen) == ["exiftools", "ximilar"]
    with pytest.raises(ValueError, match="unknown adapter"):
        base.enabled(load_settings(COMPAT_ADAPTERS="exiftools,flickr"))
    assert base.key_pairs("a:b, c:d:e,") == {"a": "b", "c": "d:e"}
    for bad in ("a", "a:", ":b"):
        with pytest.raises(ValueError):
            base.key_pairs(bad)


def test_encodable_and_job_error_status():
    assert base.encodable({"a": ["é", 1]}) and not base.encodable({"a": ["\ud800"]})
    assert base.job_error_status({"code": "corrupt_image"}) == 422
    assert base.job_error_status({"code": "url_fetch_failed"}) == 400
    assert base.job_error_status({"code": "timeout"}) == 500
    assert base.job_error_status({"code": "internal_error"}) == 500
    assert base.job_error_status(None) == 500


# ------------------------------------------------------------------ shapes

NATIVE = {
    "file": {"name": "a.jpg", "size": 10, "mimeType": "image/jpeg", "md5": "m"},
    "image": {
        "format": "jpg",
        "width": 4,
        "height": 3,
        "hasColorProfile": False,
        "hasTransparency": False,
        "density": None,
        "dpi": [72.0, 72.0],
        "quality": 90,
        "orientation": 6,
        "frames": 1,
    },
    "exif": {
        "image": {"Make": "Canon", "XResolution": 72},
        "thumbnail": {"XResolution": 180, "Compression": 6},
        "exif": {"ExposureTime": "1/160"},
        "gps": {"GPSVersionID": [2, 2, 0, 0]},
        "interoperability": {},
        "makernote": {"Canon": {"MacroMode": 2}, "CanonCs": {"MacroMode": 9, "Lens": "x"}},
        "other": {"IFD2": {"ImageWidth": 1}},
    },
    "gps": {"latitude": 55.5, "longitude": 37.25, "altitude": 1},
    "iptc": {"Keywords": ["a"]},
    "xmp": {"dc:Creator": ["me"], "xmp:Rating": 5},
    "icc": {},
    "comments": [],
    "datetimeOriginal": "2018-08-20T08:59:50.12+02:00",
    "pHash": "d25725691b24c4bf",
    "colors": [{"hex": "#ffffff", "fraction": 1.0}],
    "warnings": [],
}


def test_exiftools_metadata_is_flat_and_ranks_the_thumbnail_last():
    metadata = exiftools.metadata(NATIVE)
    assert metadata["exif"] == {
        "Make": "Canon",
        "XResolution": 72,
        "ExposureTime": "1/160",
        "GPSVersionID": [2, 2, 0, 0],
        "ImageWidth": 1,
        "Compression": 6,
    }
    assert metadata["makernotes"] == {"MacroMode": 2, "Lens": "x"}
    assert metadata["File"] == {"Name": "a.jpg", "Size": 10, "Type": "image/jpeg"}
    assert metadata["iptc"] == {"Keywords": ["a"]} and "icc" not in metadata
    body = exiftools.extract_body({"uuid": "u", "fileName": "a.jpg", "metadata": NATIVE})
    assert body["filename"] == body["fileName"] == "a.jpg" and body["status"] == "completed"


def test_imagekit_metadata_leaves_unknown_fields_out():
    shaped = imagekit.metadata(NATIVE)
    assert "density" not in shaped  # the file has none: not made up
    assert shaped["quality"] == 90 and shaped["pHash"] == NATIVE["pHash"] and shaped["size"] == 10
    assert shaped["exif"]["makernote"] == {"MacroMode": 2, "Lens": "x"}
    assert set(shaped["exif"]) == {
        "image",
        "thumbnail",
        "exif",
        "gps",
        "interoperability",
        "makernote",
    }
    png = {**NATIVE, "image": {**NATIVE["image"], "quality": None, "format": "png"}}
    assert imagekit.metadata(png)["quality"] == 0


def _job(status: str, **fields: object) -> Job:
    return Job(
        uuid="u-1",
        op="extract",
        status=status,
        created_at=1_543_236_549.945335,
        expires_at=2e9,
        updated_at=0,
        file_name="pineapple.jpg",
        file_format="jpg",
        size=10,
        **fields,
    )


def test_uploadcare_file_info():
    info = uploadcare.file_info(_job(COMPLETED), NATIVE, "http://x/files/u-1/", appdata=True)
    assert info["datetime_uploaded"] == "2018-11-26T12:49:09.945335Z"
    assert info["is_image"] is True and info["is_ready"] is True and info["appdata"] == {}
    image = info["content_info"]["image"]
    assert image == {
        "format": "JPEG",
        "width": 4,
        "height": 3,
        "sequence": False,
        "orientation": 6,
        "geo_location": {"latitude": 55.5, "longitude": 37.25},
        "datetime_original": "2018-08-20T08:59:50",
        "dpi": [72, 72],
        "hash": "d25725691b24c4bf",
    }
    assert info["image_info"] == {"id": "u-1", **image}
    running = uploadcare.file_info(_job(PROCESSING), None, "u", appdata=False)
    assert running["is_ready"] is False and running["content_info"] is None
    assert "appdata" not in running and running["mime_type"] == "image/jpeg"
    failed = uploadcare.file_info(_job(FAILED), None, "u", appdata=False)
    assert failed["is_image"] is False and failed["content_info"]["image"] is None
    scanned = uploadcare.virus_scan(
        {"infected": True, "infectedWith": "Eicar", "engine": "ClamAV 1.0", "scannedAt": "t"}
    )
    assert scanned["data"] == {"infected": True, "infected_with": "Eicar"}


def test_cloudinary_upload_body():
    asked = {"image_metadata": True, "phash": True, "colors": True, "faces": True}
    body = cloudinary.upload_body(_job(COMPLETED), NATIVE, {"public_id": "p"}, asked)
    assert body["public_id"] == "p" and body["etag"] == "m" and body["bytes"] == 10
    assert body["original_filename"] == "pineapple" and body["phash"] == NATIVE["pHash"]
    assert body["created_at"] == "2018-11-26T12:49:09Z" and body["version"] == 1543236549
    # exifq's own "colors" are not Cloudinary's (its "palette" is): left out, as faces are;
    # pages come from the image's frame count
    assert not {"colors", "predominant", "faces"} & set(body) and body["pages"] == 1
    metadata = body["image_metadata"]
    assert metadata["Make"] == "Canon" and metadata["GPSVersionID"] == "2, 2, 0, 0"
    assert metadata["Creator"] == "me" and metadata["Rating"] == "5" and metadata["Keywords"] == "a"
    landed = {
        **NATIVE,
        "palette": [["#FFFFFF", 100.0]],
        "predominant": {"google": [["white", 100.0]]},
        "faces": [{"x": 1, "y": 2, "w": 3, "h": 4, "confidence": 0.9}],
        "pages": 3,
    }
    body = cloudinary.upload_body(_job(COMPLETED), landed, {}, asked)
    assert body["colors"] == [["#FFFFFF", 100.0]] and body["faces"] == [[1, 2, 3, 4]]
    assert body["pages"] == 3 and body["predominant"] == {"google": [["white", 100.0]]}
    none = dict.fromkeys(asked, False)
    assert not {"phash", "image_metadata", "colors"} & set(
        cloudinary.upload_body(_job(COMPLETED), landed, {}, none)
    )


def test_ximilar_request_defaults_are_the_seed_ones():
    body, types = ximilar.prepared("remove_duplicates", {"records": [{"_url": "u", "_id": 1}, {}]})
    assert body["hash_type"] == "bmh1" and body["range"] == 0 and types == ("bmh1",)
    assert body["records"][0]["_id"] == "1" and len(body["records"][1]["_id"]) == 36
    body, types = ximilar.prepared("visual_hash", {"records": [{"_url": "u"}]})
    assert (
        types == ("phash", "bmh1") and "hash_type" not in body and "_id" not in body["records"][0]
    )
    given = {"records": [{"_url": "u"}], "hash_type": "phash"}
    assert ximilar.prepared("visual_hash", given)[1] == ("phash",)
    assert ximilar.prepared("rank_images", {"records": 5})[0]["records"] == 5  # refused later


def test_ximilar_answer_shapes():
    ok = {"code": 200, "text": "OK"}
    failed = {"code": 400, "text": "url_fetch_failed", "message": "could not fetch"}
    native = {
        "query_record": {"_url": "q", "_status": ok, "_width": 1, "_height": 1},
        "answer_records": [{"_url": "a", "_id": "1", "_status": ok}],
        "answer_distances": [3],
        "answer_count": 1,
        "skipped_records": [{"_url": "b", "_id": "2", "_status": failed}],
        "hash_type": "bmh1",
        "range": None,
        "status": {"code": 300, "text": "MIXED_RESULT"},
    }
    body = ximilar.shaped_answer("rank_images", native, "rid", 0.5)
    assert body["query_records"][0]["_url"] == "q" and body["answer_distances"] == [3.0]
    assert body["skipped_records"][0]["_status"] == {
        "code": 400,
        "text": "could not fetch",
        "request_id": "rid",
    }
    assert body["status"] == {
        "code": 300,
        "text": "MIXED_RESULT",
        "request_id": "rid",
        "proc_id": "rid",
    }
    assert body["statistics"] == {"processing time": 0.5}
    assert not {"answer_count", "hash_type", "range", "query_record"} & set(body)
    hashed = {"records": [{"_status": ok, "_hash": "0" * 64}], "status": ok, "hash_type": "phash"}
    records = ximilar.shaped_answer("visual_hash", hashed, "r", 0, [{"phash": "f0", "bmh1": "01"}])
    assert records["records"][0] == {
        "_status": {"code": 200, "text": "OK", "request_id": "r"},
        "phash": "11110000",
        "bmh1": "01",
    }
