"""The adapters in-process (fakeredis, a local directory, jobs run by hand): which are
served, the 202 of a job not finished within ``COMPAT_WAIT_SECONDS``, an open service."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.conftest import corpus_path
from tests.support.harness import make_harness

SAMPLE = "exif-samples/jpg/Canon_40D.jpg"


def _file() -> dict:
    return {"file": (io.BytesIO(corpus_path(SAMPLE).read_bytes()), "image.jpg")}


def test_only_the_adapters_the_setting_names_are_served(tmp_path: Path):
    h = make_harness(tmp_path, COMPAT_ADAPTERS="ximilar")
    assert h.client.post("/compat/ximilar/image_matching/v2/ping").status_code == 200
    assert h.client.post("/compat/exiftools/api/v1/extract", data=_file()).status_code == 404
    off = make_harness(tmp_path / "off")
    assert off.client.post("/compat/ximilar/image_matching/v2/ping").status_code == 404
    for wrong in ({"COMPAT_ADAPTERS": "flickr"}, {"COMPAT_CLOUDINARY_KEYS": "no-secret"}):
        with pytest.raises(ValueError):  # at start, not on a request
            make_harness(tmp_path / "wrong", **wrong)


def test_a_job_not_done_in_time_answers_202_then_its_result(tmp_path: Path):
    h = make_harness(tmp_path, COMPAT_ADAPTERS="all", COMPAT_WAIT_SECONDS=0.2, API_KEYS="k")
    answer = h.client.post("/compat/exiftools/api/v1/extract?key=k", data=_file())
    assert answer.status_code == 202
    body = answer.get_json()
    assert body["success"] is True and body["status"] == "queued" and body["uuid"] == h.sent[-1]
    assert body["statusUrl"] == f"http://localhost/compat/exiftools/api/v1/extract/{body['uuid']}"
    assert h.client.get(body["statusUrl"]).status_code == 202
    h.process(body["uuid"])
    done = h.client.get(body["statusUrl"])
    assert done.status_code == 200 and done.get_json()["metadata"]["exif"]["Make"] == "Canon"

    answer = h.client.post("/compat/exiftools/api/v1/remove?key=k", data=_file())
    assert answer.status_code == 202
    h.process(answer.get_json()["uuid"])
    removed = h.client.get(answer.get_json()["statusUrl"]).get_json()
    assert removed["downloadUrl"].startswith("http://localhost/download-cleaned/")

    upload = h.client.post("/compat/uploadcare/base/", data={"UPLOADCARE_PUB_KEY": "p", **_file()})
    assert upload.status_code == 403  # keys are set: the public key must be paired


def test_public_url_makes_absolute_links(tmp_path: Path):
    h = make_harness(tmp_path, COMPAT_ADAPTERS="exiftools", PUBLIC_URL="https://media.example/")
    h.set_enqueue(h.process)
    body = h.client.post("/compat/exiftools/api/v1/remove", data=_file()).get_json()
    assert body["downloadUrl"] == f"https://media.example/download-cleaned/{body['uuid']}"


def test_an_open_service_takes_every_adapter_without_credentials(tmp_path: Path):
    h = make_harness(tmp_path, COMPAT_ADAPTERS="all")
    h.set_enqueue(h.process)
    upload = h.client.post("/compat/uploadcare/base/", data=_file())
    info = h.client.get(f"/compat/uploadcare/files/{upload.get_json()['file']}/")
    assert info.status_code == 200 and info.get_json()["is_image"] is True
    cloud = h.client.post(
        "/compat/cloudinary/v1_1/any/image/upload", data={"phash": "1", **_file()}
    )
    assert cloud.status_code == 200 and len(cloud.get_json()["phash"]) == 16
    ping = h.client.post("/compat/ximilar/image_matching/v2/ping")
    assert ping.get_json()["status"]["code"] == 200


@pytest.mark.parametrize(
    "scan,appdata",
    [
        ({"scanned": True, "infected": True, "infectedWith": "Win.Test.EICAR_HDB-1"}, True),
        ({"scanned": True, "infected": False, "infectedWith": None}, True),
        ({"scanned": False, "infected": None, "infectedWith": None, "reason": "too big"}, False),
    ],
)
def test_uploadcare_never_reports_an_unscanned_file_clean(scan, appdata):
    from api.compat.uploadcare import file_info
    from common.jobs import Job

    job = Job("u", "extract", "completed", 0.0, 1.0, 0.0, finished_at=0.0)
    native = {"file": {"size": 1}, "image": {}, "virusScan": {**scan, "engine": "ClamAV 1"}}
    info = file_info(job, native, "http://x/", appdata=True)
    if appdata:
        data = info["appdata"]["uc_clamav_virus_scan"]["data"]
        assert data == {"infected": scan["infected"], "infected_with": scan["infectedWith"]}
    else:
        assert info["appdata"] == {}
