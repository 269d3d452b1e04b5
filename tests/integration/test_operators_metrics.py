"""The workers' job metrics against the real stack: after a run of jobs, what the API's /metrics
and a worker's own port (WORKER_METRICS_PORT) say agrees with the jobs' own statuses."""

from __future__ import annotations

import io

import pytest
import requests
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families

from tests.support.stack import finished, free_port, wait_for

pytestmark = pytest.mark.integration


def scrape(url: str) -> dict[tuple, float]:
    text = requests.get(url, timeout=10).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def png(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16 + shade, 16), (shade, 0, 0)).save(out, "PNG")
    return out.getvalue()


def truncated_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "green").save(out, "JPEG")
    return out.getvalue()[:200]  # sniffed as a JPEG, fails in the worker


def test_worker_metrics_agree_with_the_jobs(new_stack):
    stack = new_stack()
    port = free_port()
    stack.start_worker(concurrency=2, WORKER_METRICS_PORT=port)
    api = stack.start_api()
    submitted = []
    for i in range(6):
        files = {"file": (f"{i}.png", png(i))}
        submitted.append(("hash", requests.post(f"{api}/api/v1/hash", files=files).json()))
    for i in range(3):
        files = {"file": (f"{i}.png", png(i))}
        submitted.append(("extract", requests.post(f"{api}/api/v1/extract", files=files).json()))
    for i in range(2):
        files = {"file": (f"bad{i}.jpg", truncated_jpeg())}
        submitted.append(("extract", requests.post(f"{api}/api/v1/extract", files=files).json()))
    outcomes: dict[tuple, int] = {}
    codes: dict[str, int] = {}
    for op, body in submitted:
        done = finished(api, body)
        outcomes[(op, done["status"])] = outcomes.get((op, done["status"]), 0) + 1
        if done["status"] == "failed":
            codes[done["error"]["code"]] = codes.get(done["error"]["code"], 0) + 1
    expected = {("hash", "completed"): 6, ("extract", "completed"): 3, ("extract", "failed"): 2}
    assert outcomes == expected

    def job_counts(samples: dict) -> dict:
        return {
            (dict(labels)["op"], dict(labels)["outcome"]): value
            for (name, labels), value in samples.items()
            if name == "exifq_jobs_total"
        }

    # The job's record is final before its counters are written: wait for the last ones.
    def settled() -> dict | None:
        samples = scrape(f"{api}/metrics")
        return samples if job_counts(samples) == outcomes else None

    api_metrics = wait_for(settled, 20, "job counters")
    worker_metrics = scrape(f"http://127.0.0.1:{port}/metrics")
    for samples in (api_metrics, worker_metrics):
        assert job_counts(samples) == outcomes
        for op, count in (("hash", 6), ("extract", 5)):
            labels = (("op", op),)
            assert samples[("exifq_job_duration_seconds_count", labels)] == count
            inf = (("le", "+Inf"), ("op", op))
            assert samples[("exifq_job_duration_seconds_bucket", inf)] == count
            assert 0 < samples[("exifq_job_duration_seconds_sum", labels)] < 60 * count
            # The operation's own CPU, counted for each job whose operation ran to the end.
            assert samples[("exifq_job_cpu_seconds_total", labels)] > 0
        for code, count in codes.items():
            assert samples[("exifq_job_failures_total", (("code", code), ("op", "extract")))] == (
                count
            )
        assert samples[("exifq_job_retries_total", ())] == 0
        assert not any(name == "exifq_job_redeliveries_total" for name, _ in samples)
    assert worker_metrics[("exifq_worker_pool_processes", ())] == 2
    wait_for(lambda: scrape(f"{api}/metrics")[("exifq_jobs_in_flight", ())] == 0, 15, "idle")
    assert api_metrics[("exifq_queue_depth", ())] == 0
