"""Rate limits, managed keys, callbackUrl and webhook attempts, in-process (fakeredis, local
directory); tests/integration/test_operators_*.py run the same against the real stack."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families

from common.tasks import WEBHOOK_TASK
from common.webhook_queue import Delivery
from common.webhooks import SIGNATURE_HEADER, verify
from tests.support.harness import make_harness
from worker import webhooks

REPO = Path(__file__).resolve().parents[3]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, "PNG")
    return out.getvalue()


PNG = _png()


def submit(h, **headers):
    return h.post("extract", PNG, "a.png", headers=headers)


def test_the_request_after_the_limit_is_429_with_retry_after(tmp_path):
    h = make_harness(tmp_path, RATE_LIMIT="3/minute")
    answers = [submit(h) for _ in range(4)]
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    refused = answers[-1]
    assert refused.get_json()["success"] is False
    assert "rate limit" in refused.get_json()["error"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert "Retry-After" not in answers[0].headers
    assert answers[0].headers["X-RateLimit-Limit"] == "3"
    for path in ("/healthz", "/readyz", "/metrics"):
        assert all(h.client.get(path).status_code != 429 for _ in range(5)), path


def test_a_batch_costs_its_jobs(tmp_path):
    h = make_harness(tmp_path, RATE_LIMIT="5/minute")
    limits = h.client.get("/api/v1/limits").get_json()  # costs 1
    assert limits["rateLimits"] == [{"amount": 5, "seconds": 60, "limit": "5 per 1 minute"}]
    urls = {"urls": ["https://example.com/a.jpg", "https://example.com/b.jpg"]}
    body = {**urls, "operations": "extract,hash"}  # 2 inputs x 2 operations = 4 jobs
    assert h.client.post("/api/v1/batch", json=body).status_code == 202  # 1 + 4 = 5
    assert h.client.get("/api/v1/limits").status_code == 429
    h2 = make_harness(tmp_path / "2", RATE_LIMIT="5/minute")
    assert h2.client.post("/api/v1/batch", json=body).status_code == 202
    refused = h2.client.post("/api/v1/batch", json=urls)  # 4 + 2 > 5: refused once counted
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert len(h2.sent) == 4  # the refused batch made no job
    too_big = {"urls": [f"https://example.com/{i}.jpg" for i in range(6)]}
    answer = make_harness(tmp_path / "3", RATE_LIMIT="5/minute").client.post(
        "/api/v1/batch", json=too_big
    )
    assert answer.status_code == 400 and "at most 5" in answer.get_json()["error"]


def test_a_managed_keys_limit_overrides_the_default_and_revoking_holds_at_once(tmp_path):
    h = make_harness(tmp_path, RATE_LIMIT="3/minute", API_KEYS="settings-key")
    store = h.app.extensions["exifq"].keys
    _key, secret = store.create("slow client", "1/minute")
    assert submit(h, **{"X-API-Key": secret}).status_code == 202
    assert submit(h, **{"X-API-Key": secret}).status_code == 429
    assert submit(h, **{"X-API-Key": "settings-key"}).status_code == 202  # its own count
    other, other_secret = store.create("fast client")
    assert submit(h, **{"X-API-Key": other_secret}).status_code == 202
    assert store.revoke(other.id)
    answer = submit(h, **{"X-API-Key": other_secret})
    assert answer.status_code == 401 and answer.get_json()["error"] == "Invalid API key"


def test_a_managed_key_closes_an_open_service(tmp_path):
    h = make_harness(tmp_path)
    assert submit(h).status_code == 202
    _key, secret = h.app.extensions["exifq"].keys.create()
    assert submit(h).status_code == 401
    assert submit(h, **{"X-API-Key": "wrong"}).status_code == 401
    assert submit(h, **{"X-API-Key": secret}).status_code == 202


def test_callback_urls_are_checked_at_submission(tmp_path):
    h = make_harness(tmp_path)
    data = {"callbackUrl": "https://hooks.example.com/exifq"}
    answer = h.client.post("/api/v1/extract", data={**data, "url": "https://example.com/a.jpg"})
    assert answer.status_code == 400 and "WEBHOOK_SECRET" in answer.get_json()["error"]
    h = make_harness(tmp_path / "2", WEBHOOK_SECRET="whsec")
    for bad in ("http://127.0.0.1:9/x", "file:///etc/passwd", "http://169.254.169.254/"):
        body = {"url": "https://example.com/a.jpg", "callbackUrl": bad}
        assert h.client.post("/api/v1/extract", json=body).status_code == 400, bad
    answer = h.client.post("/api/v1/extract", json={"url": "https://example.com/a.jpg", **data})
    assert answer.status_code == 202
    assert h.jobs.get(answer.get_json()["uuid"]).callback_url == data["callbackUrl"]
    batch = h.client.post("/api/v1/batch", json={"urls": ["https://example.com/a.jpg"], **data})
    assert batch.status_code == 202
    assert h.app.extensions["exifq"].batches.get(batch.get_json()["uuid"]).callback_url


@pytest.fixture()
def hooked(tmp_path):
    h = make_harness(
        tmp_path, WEBHOOK_SECRET="whsec", WEBHOOK_RETRY_SECONDS=10, WEBHOOK_RETRY_HOURS=0.01
    )
    posts: list[tuple[str, bytes, dict]] = []
    statuses: list[int] = []
    rt = h.runtime()

    def post(url: str, body: bytes, headers: dict) -> int:
        posts.append((url, body, headers))
        return statuses.pop(0) if statuses else 200

    rt.post = post
    return h, rt, posts, statuses


def test_a_finished_job_sends_one_signed_webhook_with_its_status(hooked):
    h, rt, posts, _statuses = hooked
    callback = {"callbackUrl": "https://hooks.example.com/exifq"}
    job_id = h.post("extract", PNG, "a.png", query_string=callback).get_json()["uuid"]
    from worker import pipeline

    assert pipeline.process(rt, job_id) == "completed"
    sent = [args for name, args in h.tasks if name == WEBHOOK_TASK]
    assert sent == [[{"kind": "job", "id": job_id, "attempt": 1, "first_at": None}]]
    assert webhooks.attempt(rt, Delivery.from_json(sent[0][0])) == "delivered"
    (url, body, headers) = posts[0]
    assert url == callback["callbackUrl"]
    assert verify("whsec", headers[SIGNATURE_HEADER], body, now=h.clock.now())
    assert json.loads(body) == h.client.get(f"/api/v1/extract/{job_id}").get_json()


def test_a_failed_delivery_is_retried_later_until_the_window_ends(hooked):
    h, rt, posts, statuses = hooked
    data = {"callbackUrl": "https://hooks.example.com/exifq"}
    job_id = h.post("extract", PNG, "a.png", query_string=data).get_json()["uuid"]
    from worker import pipeline

    pipeline.process(rt, job_id)
    statuses.extend([500, 503])
    assert webhooks.attempt(rt, Delivery("job", job_id)) == "retrying"
    assert rt.webhooks.take_due(h.clock.now()) == []  # not yet
    (due,) = rt.webhooks.take_due(h.clock.now() + 10)
    assert due == Delivery("job", job_id, 2, h.clock.now())
    h.clock.advance(10)
    assert webhooks.attempt(rt, due) == "retrying"
    (due,) = rt.webhooks.take_due(h.clock.now() + 20)
    assert due.attempt == 3
    h.clock.advance(20)
    statuses.append(500)
    assert webhooks.attempt(rt, due) == "given_up"  # the next wait would end past 36 s
    assert rt.webhooks.take_due(h.clock.now() + 10**6) == []
    assert len(posts) == 3
    h.clock.advance(25 * 3600)  # past the job's expiry: nothing is sent
    assert webhooks.attempt(rt, Delivery("job", job_id)) == "gone"
    assert len(posts) == 3


def test_the_dashboard_uses_only_metrics_the_service_exposes(hooked):
    """deploy/grafana/exifq.json: every metric name it queries is in the API's /metrics once a
    job ran (the workers' metrics come from Redis)."""
    h, rt, _posts, _statuses = hooked
    job_id = h.post("hash", PNG, "a.png").get_json()["uuid"]
    from worker import pipeline

    pipeline.process(rt, job_id)
    h.client.get(f"/api/v1/hash/{job_id}")
    families = list(text_string_to_metric_families(h.client.get("/metrics").text))
    exposed = {sample.name for family in families for sample in family.samples}
    exposed |= {f"{f.name}_total" for f in families if f.type == "counter"}  # none counted yet
    dashboard = json.loads((REPO / "deploy" / "grafana" / "exifq.json").read_text())
    queries = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    used = {name for q in queries for name in re.findall(r"\b(exifq_[a-z_]+)", q)}
    assert used and used <= exposed, used - exposed
