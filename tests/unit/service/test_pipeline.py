"""One job through ``worker.pipeline`` in-process: outputs, idempotence, failures, the counter."""

from __future__ import annotations

import json

import pytest

from common.errors import TransientError, UrlForbidden
from common.fetch import Fetched
from common.jobs import COMPLETED, FAILED, result_key, upload_key
from tests.conftest import corpus_files
from tests.support.operations import run
from worker import pipeline

FILE = next(f for f in corpus_files() if f.id == "exif-samples/jpg/Canon_40D.jpg")


def submitted(h, op: str = "remove", data: bytes = FILE.data) -> str:
    return h.post(op, data, "photo.jpg").get_json()["uuid"]


def test_outputs_are_stored_and_the_upload_deleted(h):
    job_id = submitted(h)
    assert h.process(job_id) == COMPLETED
    job = h.jobs.get(job_id)
    expected = run("remove", FILE.data, "photo.jpg")
    assert json.loads(h.storage.get(job.result_key)) == expected.result
    assert h.storage.get(job.cleaned_key) == expected.cleaned
    assert job.cleaned_key == f"cleaned/{job_id}/photo.jpg"
    assert not h.storage.exists(upload_key(job_id))


def test_running_twice_changes_nothing(h):
    job_id = submitted(h)
    h.process(job_id)
    first = h.jobs.get(job_id)
    stored = h.storage.get(first.result_key)
    assert h.process(job_id) == COMPLETED
    assert h.jobs.get(job_id) == first
    assert h.storage.get(first.result_key) == stored


def test_a_delivery_that_died_before_finishing_is_completed_by_the_next(h, monkeypatch):
    job_id = submitted(h, "extract")

    def crash(*args, **kwargs):
        raise SystemExit("worker died")

    monkeypatch.setattr(h.jobs, "run_finish", crash)
    with pytest.raises(SystemExit):
        h.process(job_id)
    monkeypatch.undo()
    assert h.jobs.get(job_id).status == "processing"
    assert h.process(job_id) == COMPLETED
    expected = run("extract", FILE.data, "photo.jpg").result
    assert json.loads(h.storage.get(result_key(job_id))) == expected
    assert h.jobs.get(job_id).deliveries == 2


def test_too_many_deliveries_fail_as_worker_lost(h):
    job_id = submitted(h)
    for _ in range(h.settings.TASK_MAX_DELIVERIES):
        h.jobs.start(job_id, "w/1")  # each start a delivery that killed its worker
    assert h.process(job_id) == FAILED
    job = h.jobs.get(job_id)
    assert job.error["code"] == "worker_lost"
    assert not h.storage.exists(upload_key(job_id))


def test_bad_input_fails_with_the_core_code(h):
    job_id = submitted(h, "extract", FILE.data[:300])
    assert h.process(job_id) == FAILED
    with pytest.raises(Exception) as raised:
        run("extract", FILE.data[:300], "photo.jpg")
    assert h.jobs.get(job_id).error == raised.value.to_dict()
    assert not h.storage.exists(upload_key(job_id))


def test_a_vanished_upload_fails_the_job(h):
    job_id = submitted(h)
    h.storage.delete(upload_key(job_id))
    assert h.process(job_id) == FAILED
    assert h.jobs.get(job_id).error["code"] == "upload_missing"


def test_url_jobs_use_the_fetched_name_and_bytes(h):
    url = "https://images.example/dir/Canon.jpg?token=secret"
    h.fetched[url] = Fetched(
        data=FILE.data, name="Canon.jpg", content_type="image/jpeg", final_url=url.split("?")[0]
    )
    job_id = h.client.post("/api/v1/remove", json={"url": url}).get_json()["uuid"]
    assert h.process(job_id) == COMPLETED
    job = h.jobs.get(job_id)
    assert (job.file_name, job.cleaned_key) == ("Canon.jpg", f"cleaned/{job_id}/Canon.jpg")
    assert json.loads(h.storage.get(job.result_key))["fileName"] == "Canon.jpg"


def test_forbidden_urls_fail_the_job(h):
    # A name the worker resolves to a forbidden address (literal addresses are refused at submit).
    url = "http://metadata.example/latest/meta-data/"
    h.fetched[url] = UrlForbidden("metadata.example resolves to 169.254.169.254")
    job_id = h.client.post("/api/v1/extract", json={"url": url}).get_json()["uuid"]
    assert h.process(job_id) == FAILED
    assert h.jobs.get(job_id).error["code"] == "url_forbidden"


def test_transient_faults_propagate_for_the_task_to_retry(h, monkeypatch):
    job_id = submitted(h)

    def away(*args, **kwargs):
        raise TransientError("storage unreachable")

    monkeypatch.setattr(h.storage, "get", away)
    with pytest.raises(TransientError):
        h.process(job_id)
    assert h.jobs.get(job_id).status == "processing"


def test_expired_jobs_are_dropped(h):
    assert h.process("1d3c2b8e-0000-4000-8000-000000000000") == pipeline.MISSING


def test_results_are_written_as_the_json_module_reads_them():
    result = {"fileName": "é.jpg", "Make": "Canon", "values": [1, 2.5, None], 7: "int key"}
    expected = json.loads(json.dumps(result, ensure_ascii=False))  # the int key as text
    assert json.loads(pipeline.result_json(result)) == expected
    assert json.loads(pipeline.result_json({"n": 2**70})) == {"n": 2**70}  # orjson refuses it
    assert json.loads(pipeline.result_json({"x": float("nan")})) == {"x": None}  # not NaN
