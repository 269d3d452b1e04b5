"""Batch jobs run in chunks (``worker.chunks``), in-process: results equal the single-job path,
and counts stay exact when a chunk runs twice, dies part-way or hands its jobs over."""

from __future__ import annotations

import io
import json

import pytest

from common.batches import chunks as cut
from common.jobs import COMPLETED, FAILED, PROCESSING, QUEUED, result_key, upload_key
from tests.conftest import corpus_files
from tests.support.harness import make_harness
from worker import chunks, pipeline

FILES = [f for f in corpus_files() if f.path.suffix.lower() in (".jpg", ".png")][:12]


def _batch(h, operations: str = "extract,hash") -> tuple[dict, list[str]]:
    """A batch of :data:`FILES` (plus one non-image) and its job ids, none run yet."""
    files = [(io.BytesIO(f.data), f"dir/{f.path.name}") for f in FILES]
    files.append((io.BytesIO(b"not an image"), "notes.jpg"))
    data = {"file": files, "operations": operations, "types": "phash,md5"}
    if "extract" in operations:
        data["pixels"] = "false"
    answer = h.client.post("/api/v1/batch", data=data)
    assert answer.status_code == 202, answer.get_json()
    job_ids, h.sent[:] = list(h.sent), []
    return answer.get_json(), job_ids


def _status(h, body: dict) -> dict:
    return h.client.get(f"{body['statusUrl']}?include=results").get_json()


def _results(h, job_ids: list[str]) -> list[dict]:
    return [json.loads(h.storage.get(result_key(job_id))) for job_id in job_ids]


def _run(h, job_ids, delivery: int = 1, seconds: float = 60.0) -> list[str]:
    handed: list[str] = []
    rt = h.runtime()
    chunks.run_chunk(rt, job_ids, delivery=delivery, seconds=seconds, hand_over=handed.extend)
    return handed


def test_a_batch_is_cut_into_bounded_chunks_that_spread():
    ids = [str(i) for i in range(10_000)]
    assert [len(c) for c in cut(ids)] == [100] * 100
    assert [len(c) for c in cut(ids[:10])] == [2] * 5
    assert [len(c) for c in cut(ids[:1])] == [1]
    assert [j for c in cut(ids[:333]) for j in c] == ids[:333]


def test_chunked_results_equal_the_single_job_path(tmp_path):
    single, chunked = make_harness(tmp_path / "a"), make_harness(tmp_path / "b")
    body_a, ids_a = _batch(single)
    body_b, ids_b = _batch(chunked)
    for job_id in ids_a:
        single.process(job_id)
    assert _run(chunked, ids_b) == []
    a, b = _status(single, body_a), _status(chunked, body_b)
    assert (b["completed"], b["failed"], b["total"]) == (a["completed"], a["failed"], a["total"])
    assert b["completed"] == 2 * len(FILES) and b["failed"] == 2
    assert [i.get("result") for i in b["items"]] == [i.get("result") for i in a["items"]]
    assert _results(chunked, ids_b) == _results(single, ids_a)
    for job_id in ids_b:  # uploads are deleted once their jobs finished, as for single jobs
        assert not chunked.storage.exists(upload_key(job_id))
        assert chunked.jobs.get(job_id).status == COMPLETED


def test_a_chunk_delivered_twice_keeps_exact_counts(h):
    body, ids = _batch(h)
    _run(h, ids)
    first = _status(h, body)
    assert _run(h, ids) == []  # the same chunk again as a new message: nothing moves
    assert _run(h, ids, delivery=2) == ids  # a redelivery: handed to the single-job path
    for job_id in ids:
        assert pipeline.process(h.runtime(), job_id) == COMPLETED
    again = _status(h, body)
    assert (again["completed"], again["failed"]) == (first["completed"], first["failed"])
    assert again["items"] == first["items"]


def test_a_chunk_killed_part_way_is_finished_by_its_redelivery(h, monkeypatch):
    body, ids = _batch(h)
    real, calls = pipeline.run_started, []

    def dies_on_the_23rd(rt, job_id, job):
        calls.append(job_id)
        if len(calls) == 23:
            raise SystemExit("worker killed")
        return real(rt, job_id, job)

    monkeypatch.setattr(pipeline, "run_started", dies_on_the_23rd)
    with pytest.raises(SystemExit):
        _run(h, ids)
    monkeypatch.undo()
    # The jobs run before the 23rd finished (the first group's finish, then what was done of
    # the second, flushed as the exception left); the 23rd and later stay processing.
    states = [h.jobs.get(job_id).status for job_id in ids]
    assert states[:22] == [COMPLETED] * 22 and set(states[22:]) == {PROCESSING}
    middle = _status(h, body)
    assert (middle["completed"], middle["failed"]) == (22, 2)
    handed = _run(h, ids, delivery=2)
    assert handed == ids
    for job_id in handed:
        pipeline.process(h.runtime(), job_id)
    done = _status(h, body)
    assert (done["completed"], done["failed"], done["status"]) == (
        2 * len(FILES),
        2,
        "completed_with_errors",
    )
    assert all(h.jobs.get(job_id).deliveries <= 2 for job_id in ids)


def test_jobs_not_started_in_the_budget_are_handed_over(h):
    body, ids = _batch(h, "hash")
    handed = _run(h, ids, seconds=0.0)  # the budget is spent at once
    assert handed == ids
    assert set(h.jobs.get(job_id).status for job_id in handed) <= {PROCESSING, QUEUED}
    for job_id in handed:
        pipeline.process(h.runtime(), job_id)
    status = _status(h, body)
    assert (status["completed"], status["failed"]) == (len(FILES), 1)


def test_a_transient_fault_hands_the_rest_to_the_single_job_path(h, monkeypatch):
    from common.errors import TransientError

    body, ids = _batch(h, "hash")
    real, calls = h.storage.get, []

    def flaky(key):
        calls.append(key)
        if len(calls) == 3:
            raise TransientError("storage: timed out")
        return real(key)

    monkeypatch.setattr(h.storage, "get", flaky)
    handed = _run(h, ids)
    assert handed == ids[2:]
    assert [h.jobs.get(job_id).status for job_id in ids[:2]] == [COMPLETED] * 2
    for job_id in handed:
        pipeline.process(h.runtime(), job_id)
    status = _status(h, body)
    assert (status["completed"], status["failed"]) == (len(FILES), 1)
    assert {h.jobs.get(job_id).status for job_id in ids} <= {COMPLETED, FAILED}
