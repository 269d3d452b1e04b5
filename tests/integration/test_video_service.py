"""Videos through the real service: API under gunicorn → Redis → Celery worker → S3 (moto).

The worker streams a video upload from storage to a temporary file, extracts or strips
it from there and streams the cleaned file back; the answers equal the operations run
in-process. Videos have their own size limit (``MAX_VIDEO_BYTES``); ``hash`` takes none.
"""

from __future__ import annotations

import functools
import json
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.integration.conftest import upload
from tests.integration.test_end_to_end import result_of, submit
from tests.support.operations import run
from tests.support.stack import finished
from tests.support.videos import build_videos, packet_hashes

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    return build_videos(tmp_path_factory.mktemp("videos"))


@pytest.fixture(scope="module")
def video_server(videos):
    """A loopback HTTP server for the videos (what URL jobs fetch); its base URL."""
    folder = next(iter(videos.values())).parent
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("name", ["phone.mov", "tagged.webm", "clip.avi"])
def test_extract_video_job_equals_the_operation(stack, videos, name):
    data = videos[name].read_bytes()
    body = finished(stack.api_url, submit(stack.api_url, "extract", data, name))
    assert body["status"] == "completed", body
    assert result_of(body) == run("extract", data, name).result
    assert body["metadata"]["video"]["videoCodec"] in ("h264", "vp9", "mpeg4")


def test_extract_video_printed_values(stack, videos):
    """``values=printed`` reaches a video's extract: the container's tags as ExifTool prints
    them (the worker's tables, the operation's)."""
    data = videos["phone.mov"].read_bytes()
    job = submit(stack.api_url, "extract", data, "phone.mov", values="printed")
    body = finished(stack.api_url, job)
    assert body["status"] == "completed", body
    assert result_of(body) == run("extract", data, "phone.mov", values="printed").result
    keys = body["metadata"]["container"]["Keys"]
    assert (
        keys["GPSCoordinates"]
        == "33 deg 51' 24.48\" S, 151 deg 12' 55.08\" E, 12.5 m Above Sea Level"
    )


def test_remove_video_job_streams_the_cleaned_file(stack, videos, tmp_path):
    data = videos["phone.mov"].read_bytes()
    body = finished(stack.api_url, submit(stack.api_url, "remove", data, "phone.mov"))
    assert body["status"] == "completed", body
    expected = run("remove", data, "phone.mov")
    assert result_of(body) == expected.result
    download = requests.get(f"{stack.api_url}{body['downloadUrl']}")
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "video/quicktime"
    assert download.content == expected.cleaned
    cleaned = tmp_path / "cleaned.mov"
    cleaned.write_bytes(download.content)
    assert packet_hashes(cleaned) == packet_hashes(videos["phone.mov"])
    tags = json.loads(subprocess.run(["exiftool", "-j", "-Make", "-GPS*", str(cleaned)],
                                     capture_output=True, check=True).stdout)[0]  # fmt: skip
    assert set(tags) == {"SourceFile"}


def test_video_by_url(stack, video_server):
    answer = requests.post(
        f"{stack.api_url}/api/v1/extract", json={"url": f"{video_server}/camera.mp4"}
    )
    assert answer.status_code == 202, answer.text
    body = finished(stack.api_url, answer.json())
    assert body["status"] == "completed", body
    assert body["metadata"]["video"]["format"] == "mp4"
    assert body["metadata"]["gps"]["latitude"] == 48.8584


def test_hash_takes_no_video(stack, videos):
    answer = requests.post(
        f"{stack.api_url}/api/v1/hash", files=upload(videos["camera.mp4"], "camera.mp4")
    )
    assert answer.status_code == 415
    assert "not a supported image" in answer.json()["error"]


def test_corrupt_video_fails_the_job(stack, videos):
    data = videos["camera.mp4"].read_bytes()[:3000]
    body = finished(stack.api_url, submit(stack.api_url, "remove", data, "cut.mp4"))
    assert body["status"] == "failed"
    assert body["error"]["code"] == "corrupt_file"


def test_video_size_limit_is_its_own(new_stack, videos):
    """MAX_VIDEO_BYTES below the video's size: 413 for it, while an image of the same size
    passes (MAX_UPLOAD_BYTES)."""
    data = videos["camera.mp4"].read_bytes()
    service = new_stack(MAX_VIDEO_BYTES=len(data) - 1)
    api_url = service.start_api()
    answer = requests.post(f"{api_url}/api/v1/extract", files=upload(data, "camera.mp4"))
    assert answer.status_code == 413, answer.text
    limits = requests.get(f"{api_url}/api/v1/limits").json()
    assert limits["maxVideoBytes"] == len(data) - 1
