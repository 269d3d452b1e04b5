"""``scan=true`` and the ``scan`` operation through the API and the pipeline, with a real clamd.

The API and the pipeline run in-process (``tests.support.harness``); clamd is real.
"""

from __future__ import annotations

import json
import os

import pytest

from common.jobs import COMPLETED, FAILED
from common.settings import load_settings
from tests.support import clamd as private
from tests.support.harness import make_harness
from tests.support.videos import build_videos
from worker import app as worker_app
from worker import tasks
from worker.runtime import _runtimes

pytestmark = pytest.mark.integration

INFECTED = private.photo(private.EICAR)


@pytest.fixture(scope="module")
def clamd(tmp_path_factory):
    running = private.start(tmp_path_factory.mktemp("clamd"))
    yield running
    running.stop()


def _run(h, op: str, data: bytes, **params) -> tuple[object, dict]:
    answer = h.post(op, data, "photo.jpg", query_string=params)
    assert answer.status_code == 202, answer.get_json()
    job_id = answer.get_json()["uuid"]
    h.process(job_id)
    job = h.jobs.get(job_id)
    result = json.loads(h.storage.get(job.result_key)) if job.status == COMPLETED else {}
    return job, result


def test_extract_with_scan_reports_a_clean_file(clamd, tmp_path):
    h = make_harness(tmp_path, CLAMD_URL=clamd.url)
    job, result = _run(h, "extract", private.photo(), scan="true")
    assert job.status == COMPLETED
    assert result["virusScan"]["scanned"] and result["virusScan"]["infected"] is False
    assert result["metadata"]["image"]["width"] == 64


def test_without_scan_nothing_is_scanned(clamd, tmp_path):
    h = make_harness(tmp_path, CLAMD_URL=clamd.url)
    job, result = _run(h, "hash", INFECTED)
    assert job.status == COMPLETED and "virusScan" not in result


def test_an_infected_file_gets_no_cleaned_file(clamd, tmp_path):
    h = make_harness(tmp_path, CLAMD_URL=clamd.url)
    job, result = _run(h, "remove", INFECTED, scan="true")
    assert job.status == COMPLETED and job.cleaned_key is None
    assert result["virusScan"]["infected"] is True
    assert result["virusScan"]["infectedWith"].startswith("Win.Test.EICAR_NDB-1")


def test_reject_fails_an_infected_file(clamd, tmp_path):
    h = make_harness(tmp_path, CLAMD_URL=clamd.url, SCAN_INFECTED="reject")
    job, _ = _run(h, "hash", INFECTED, scan="true")
    assert job.status == FAILED and job.error["code"] == "infected"


def test_the_scan_operation(clamd, tmp_path):
    h = make_harness(tmp_path, CLAMD_URL=clamd.url)
    job, result = _run(h, "scan", INFECTED)
    assert job.status == COMPLETED
    assert result["fileName"] == "photo.jpg" and result["size"] == len(INFECTED)
    assert result["virusScan"]["infected"] is True


@pytest.fixture(scope="module")
def movie(tmp_path_factory) -> bytes:
    return build_videos(tmp_path_factory.mktemp("videos"))["camera.mp4"].read_bytes()


def test_a_video_is_scanned_from_its_staged_file(clamd, tmp_path, movie):
    """A video runs from a file (worker/staging.py), not from bytes in memory: the scan
    streams that file to clamd, so a video is never called clean unscanned."""
    h = make_harness(tmp_path, CLAMD_URL=clamd.url)
    job, result = _run(h, "extract", movie, scan="true")
    assert job.status == COMPLETED, job.error
    assert result["virusScan"]["scanned"] is True and result["virusScan"]["infected"] is False
    assert result["metadata"]["video"]["format"] == "mp4"
    job, result = _run(h, "remove", movie + private.EICAR, scan="true")
    assert job.status == COMPLETED and job.cleaned_key is None
    assert result["virusScan"]["infectedWith"].startswith("Win.Test.EICAR_NDB-1")


def test_scan_without_clamd_configured_fails_at_once(tmp_path):
    h = make_harness(tmp_path)
    job, _ = _run(h, "scan", private.photo())
    assert job.status == FAILED and job.error["code"] == "scan_unavailable"


def test_clamd_stopped_mid_run_fails_scan_unavailable_after_retries(tmp_path, monkeypatch):
    running = private.start(tmp_path / "clamd")
    settings = load_settings(
        CLAMD_URL=running.url, LOCAL_STORAGE_DIR=tmp_path / "store", TASK_MAX_RETRIES=2
    )
    h = make_harness(tmp_path, CLAMD_URL=running.url, TASK_MAX_RETRIES=2)
    rt = h.runtime()
    monkeypatch.setattr(rt, "settings", settings)
    monkeypatch.setattr(rt, "celery", worker_app.app)
    monkeypatch.setitem(_runtimes, os.getpid(), rt)
    monkeypatch.setattr(tasks, "retry_countdown", lambda retries, settings: 0)
    first = h.post("remove", private.photo(), query_string={"scan": "true"}).get_json()["uuid"]
    assert tasks.process_job.apply(args=[first]).get() == COMPLETED
    running.stop()
    second = h.post("remove", private.photo(), query_string={"scan": "true"}).get_json()["uuid"]
    tasks.process_job.apply(args=[second]).get(propagate=False)
    job = h.jobs.get(second)
    assert job.status == FAILED and job.error["code"] == "scan_unavailable"
    assert job.cleaned_key is None
