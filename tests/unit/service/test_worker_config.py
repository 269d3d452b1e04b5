"""The Celery app's delivery settings, and the tasks' outcomes for faults (run eagerly)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from billiard.exceptions import SoftTimeLimitExceeded
from celery import _state as celery_state

from common.errors import TransientError
from common.jobs import COMPLETED, FAILED
from common.settings import load_settings
from common.tasks import SWEEP_TASK
from tests.conftest import corpus_files
from tests.support.harness import make_harness
from tests.support.stack import REPO, free_port
from worker import app as worker_app
from worker import pipeline, tasks
from worker.runtime import _runtimes

JPEG = next(f for f in corpus_files() if f.id == "exif-samples/jpg/Canon_40D.jpg").data


def test_delivery_settings():
    settings = load_settings(BROKER_VISIBILITY_TIMEOUT=300, REDIS_KEY_PREFIX="px:")
    conf = worker_app.create_celery(settings).conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert (conf.task_soft_time_limit, conf.task_time_limit) == (60, 90)
    assert conf.worker_max_memory_per_child == settings.WORKER_MAX_MEMORY_PER_CHILD
    options = conf.broker_transport_options
    assert options["visibility_timeout"] == 300
    assert options["unacked_restore_interval"] == 10 and options["unacked_restore_throttle"] == 1
    assert options["global_keyprefix"] == "px:"
    schedule = conf.beat_schedule["sweep-expired-objects"]
    assert schedule["task"] == SWEEP_TASK
    assert schedule["schedule"] == settings.SWEEP_INTERVAL_SECONDS


@pytest.mark.parametrize("visibility,expected", [(5, 1.0), (60, 6.0), (300, 10.0), (7200, 10.0)])
def test_restore_sweeps_run_about_a_tenth_of_the_visibility_timeout(visibility, expected):
    assert worker_app.restore_interval(visibility) == expected


@pytest.mark.parametrize("visibility,hard", [(300, 90), (10, 8), (30, 5)])
def test_every_retry_countdown_fits_in_the_visibility_timeout(visibility, hard):
    settings = load_settings(
        BROKER_VISIBILITY_TIMEOUT=visibility, TASK_TIME_LIMIT=hard, TASK_SOFT_TIME_LIMIT=hard - 1
    )
    countdowns = [worker_app.retry_countdown(n, settings) for n in range(20)]
    assert countdowns[:3] == [min(c, countdowns[-1]) for c in (1.0, 2.0, 4.0)]
    assert all(c + hard < visibility for c in countdowns)


@pytest.mark.parametrize(
    "limits",
    [
        {"TASK_SOFT_TIME_LIMIT": 90, "TASK_TIME_LIMIT": 90},
        {"TASK_TIME_LIMIT": 90, "BROKER_VISIBILITY_TIMEOUT": 90},
    ],
)
def test_limits_that_allow_a_running_task_to_be_redelivered_are_refused(limits):
    with pytest.raises(ValueError):
        worker_app.create_celery(load_settings(**limits))


def test_importing_the_app_does_no_io():
    """``celery -A worker.app`` imports it; with Redis unreachable that must still be instant."""
    env = {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", "PATH": "/usr/bin:/bin"}
    code = "import worker.app, worker.tasks, api; print(worker.app.app.main)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, timeout=60, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "exifq"


@pytest.fixture()
def eager(tmp_path, monkeypatch):
    """The task running in this process (``apply``) on the in-process harness."""
    h = make_harness(tmp_path)
    # ``process_job`` is a shared task: it runs on the *current* app, which the last
    # ``create_celery`` of any earlier test may have replaced.
    previous = celery_state.get_current_app()
    worker_app.app.set_current()
    rt = h.runtime()
    monkeypatch.setitem(_runtimes, __import__("os").getpid(), rt)
    monkeypatch.setattr(rt, "settings", worker_app.app.exifq_settings)
    monkeypatch.setattr(rt, "celery", worker_app.app)
    yield h
    previous.set_current()


def run_task(job_id: str):
    return tasks.process_job.apply(args=[job_id])


def test_task_completes_a_job(eager):
    job_id = eager.post("extract", JPEG).get_json()["uuid"]
    assert run_task(job_id).get() == COMPLETED


def _failing_with(monkeypatch, exc: BaseException) -> None:
    def fail(rt, job_id):
        rt.jobs.start(job_id, rt.name)
        raise exc

    monkeypatch.setattr(pipeline, "process", fail)


def test_soft_time_limit_fails_as_timeout(eager, monkeypatch):
    job_id = eager.post("extract", JPEG).get_json()["uuid"]
    _failing_with(monkeypatch, SoftTimeLimitExceeded())
    assert run_task(job_id).get() == FAILED
    assert eager.jobs.get(job_id).error["code"] == "timeout"


def test_our_bug_fails_as_internal_error(eager, monkeypatch):
    job_id = eager.post("extract", JPEG).get_json()["uuid"]
    _failing_with(monkeypatch, KeyError("bug"))
    assert run_task(job_id).get() == FAILED
    assert eager.jobs.get(job_id).error == {
        "code": "internal_error",
        "message": "the worker failed on this job",
    }


def test_transient_faults_retry_then_fail_as_service_unavailable(eager, monkeypatch):
    job_id = eager.post("extract", JPEG).get_json()["uuid"]
    _failing_with(monkeypatch, TransientError("storage unreachable"))
    monkeypatch.setattr(worker_app, "retry_countdown", lambda retries, settings: 0)
    monkeypatch.setattr(tasks, "retry_countdown", lambda retries, settings: 0)
    result = run_task(job_id)
    assert result.get(propagate=False) in (FAILED, None)
    job = eager.jobs.get(job_id)
    assert job.status == FAILED and job.error["code"] == "service_unavailable"
    # one delivery per attempt, counted afresh after each retry
    assert job.deliveries == 1


def test_hard_time_limit_fails_the_job_from_the_main_process(eager):
    from billiard.exceptions import TimeLimitExceeded

    job_id = eager.post("extract", JPEG).get_json()["uuid"]
    tasks.process_job.on_failure(TimeLimitExceeded(90), "task-id", [job_id], {}, None)
    assert eager.jobs.get(job_id).error == {"code": "timeout", "message": "ran over 90 s"}
