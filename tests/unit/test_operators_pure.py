"""The pure parts of the operators' features: webhook signatures and retry schedule, key hashing,
the cost of a request, the client's backoff, presigned-URL lifetimes, job metrics as Prometheus
text (docs/operators.md)."""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path

import fakeredis
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from api.auth import Caller, owner_hash
from api.downloads import redirect_seconds
from api.ratelimit import client_key, request_cost, retry_after
from common import jobmetrics
from common.errors import BadRequest, UrlForbidden
from common.fetch.policy import FetchPolicy
from common.keys import KeyStore, check_rate_limit, generate_key, key_digest
from common.webhooks import (
    check_callback_url,
    next_attempt_at,
    retry_wait,
    signature,
    verify,
)

REPO = Path(__file__).resolve().parents[2]
BODY = b'{"success": true, "uuid": "u", "status": "completed"}'


def test_signature_is_hmac_sha256_of_time_dot_body():
    header = signature("s3cret", BODY, 1_700_000_000)
    expected = hmac.new(b"s3cret", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_verify_accepts_a_fresh_signature_and_refuses_tampering_and_replays():
    header = signature("s3cret", BODY, 1_700_000_000)
    assert verify("s3cret", header, BODY, now=1_700_000_100)
    assert not verify("other", header, BODY, now=1_700_000_100)
    assert not verify("s3cret", header, BODY + b" ", now=1_700_000_100)
    assert not verify("s3cret", header, BODY, now=1_700_000_000 + 301)  # replayed later
    assert not verify("s3cret", "t=abc,v1=00", BODY, now=0)
    assert not verify("s3cret", "", BODY, now=0)


def test_the_verification_snippet_in_the_docs_works():
    """docs/operators.md shows a receiver's check in plain Python: run it on our signature."""
    text = (REPO / "docs" / "operators.md").read_text()
    snippet = re.search(r"```python\n(# verify.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(snippet, namespace)
    header = signature("whsec", BODY, 1_700_000_000)
    assert namespace["verified"]("whsec", header, BODY, now=1_700_000_010)
    assert not namespace["verified"]("whsec", header, BODY[:-1], now=1_700_000_010)
    assert not namespace["verified"]("whsec", header, BODY, now=1_700_001_000)


def test_retry_waits_double_up_to_an_hour_and_stop_after_the_window():
    assert [retry_wait(n, 30) for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]
    first = 1000.0
    assert next_attempt_at(1, first, first, 30, 24) == first + 30
    late = first + 24 * 3600 - 10
    assert next_attempt_at(9, late, first, 30, 24) is None
    # Every failure gets one more try within the window: about 30 attempts in 24 hours.
    attempt, now = 1, first
    while (due := next_attempt_at(attempt, now, first, 30, 24)) is not None:
        attempt, now = attempt + 1, due
    assert 25 <= attempt <= 35 and now <= first + 24 * 3600


def test_callback_urls_are_checked_like_url_inputs():
    policy = FetchPolicy(timeout=5, max_bytes=1, max_redirects=0)
    assert check_callback_url("https://hooks.example.com/x?a=1", policy, "s") == (
        "https://hooks.example.com/x?a=1"
    )
    with pytest.raises(BadRequest, match="WEBHOOK_SECRET"):
        check_callback_url("https://hooks.example.com/", policy, None)
    for bad in ("ftp://example.com/", "http://user@example.com/", "http://10.0.0.1/hook"):
        with pytest.raises(UrlForbidden):
            check_callback_url(bad, policy, "s")
    with pytest.raises(UrlForbidden):
        check_callback_url("http://[::1]:8080/", policy, "s")
    with pytest.raises(BadRequest):
        check_callback_url(["http://example.com"], policy, "s")
    allowed = FetchPolicy(5, 1, 0, allowed_endpoints=frozenset({("127.0.0.1", 8080)}))
    assert check_callback_url("http://127.0.0.1:8080/hook", allowed, "s")
    with pytest.raises(UrlForbidden):
        check_callback_url("http://127.0.0.1:8081/hook", allowed, "s")


def test_keys_are_stored_only_as_their_hash():
    client = fakeredis.FakeRedis(decode_responses=True)
    store = KeyStore(client, "t:")
    key, secret = store.create("ci", "100/minute")
    assert secret.startswith("exq_") and len(secret) >= 40
    assert key.digest == key_digest(secret) == owner_hash(secret)  # what jobs store too
    stored = [
        str(value)
        for name in client.keys("*")
        for value in (client.hgetall(name) if client.type(name) == "hash" else {}).values()
    ]
    assert stored and not any(secret in value for value in stored)
    assert store.lookup(secret).key == key
    assert [k.id for k in store.list()] == [key.id]
    assert store.revoke(key.id) and not store.revoke(key.id)
    found = store.lookup(secret)
    assert found.key is None and found.required  # no key left, and still closed
    assert generate_key() != generate_key()


def test_rate_limits_are_validated():
    assert check_rate_limit(" 60/minute ") == "60/minute"
    assert check_rate_limit("10/second;1000/day")
    for bad in ("", "sixty", "60/fortnight"):
        with pytest.raises(ValueError):
            check_rate_limit(bad)


def test_requests_are_counted_per_key_else_per_address_and_cost_their_jobs():
    keyed = Caller(presented=True, owner="ab" * 32, key_id="key_123")
    from_settings = Caller(presented=True, owner="cd" * 32, key_id="")
    assert client_key(keyed, "10.0.0.1") == "key:key_123"
    assert client_key(from_settings, "10.0.0.1") == f"key:{'cd' * 8}"
    assert client_key(Caller(presented=True, owner=""), "10.0.0.1") == "addr:10.0.0.1"
    assert client_key(Caller(presented=True, owner=None), None) == "addr:unknown"
    assert [request_cost(n) for n in (0, 1, 250)] == [1, 1, 250]
    assert retry_after(100.2, 100.0) == 1 and retry_after(130.5, 100.0) == 31
    assert retry_after(90.0, 100.0) == 1


def test_presigned_urls_live_at_most_15_minutes_and_never_past_expiry():
    assert redirect_seconds(10_000.0, 0.0) == 900
    assert redirect_seconds(100.9, 0.0) == 100
    assert redirect_seconds(0.5, 0.0) == 0
    assert redirect_seconds(0.0, 10.0) == 0


def test_job_metrics_read_as_prometheus_text():
    client = fakeredis.FakeRedis(decode_responses=True)
    jobmetrics.record_finish(client, "t:", "extract", "completed", 0.02)
    jobmetrics.record_finish(client, "t:", "extract", "completed", 3.0, cpu=0.25)
    jobmetrics.record_finish(client, "t:", "hash", "completed", 1.0, cpu=0.5)
    jobmetrics.record_finish(client, "t:", "extract", "failed", 500.0, code="corrupt_image")
    jobmetrics.count(client, "t:", "retries")
    jobmetrics.count(client, "t:", "redeliveries", "remove")
    registry = CollectorRegistry()

    class Clock:
        def now(self) -> float:
            return 0.0

    registry.register(jobmetrics.JobMetricsCollector(client, "t:", Clock()))
    text = generate_latest(registry).decode()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("exifq_jobs_total", (("op", "extract"), ("outcome", "completed")))] == 2
    assert samples[("exifq_jobs_total", (("op", "extract"), ("outcome", "failed")))] == 1
    code = (("code", "corrupt_image"), ("op", "extract"))
    assert samples[("exifq_job_failures_total", code)] == 1
    assert samples[("exifq_job_duration_seconds_count", (("op", "extract"),))] == 3
    assert samples[("exifq_job_duration_seconds_bucket", (("le", "0.025"), ("op", "extract")))] == 1
    assert samples[("exifq_job_duration_seconds_bucket", (("le", "5.0"), ("op", "extract")))] == 2
    assert samples[("exifq_job_duration_seconds_bucket", (("le", "+Inf"), ("op", "extract")))] == 3
    total = samples[("exifq_job_duration_seconds_sum", (("op", "extract"),))]
    assert total == pytest.approx(503.02)
    assert samples[("exifq_job_cpu_seconds_total", (("op", "extract"),))] == 0.25
    assert samples[("exifq_job_cpu_seconds_total", (("op", "hash"),))] == 0.5
    assert samples[("exifq_job_retries_total", ())] == 1
    assert samples[("exifq_job_redeliveries_total", (("op", "remove"),))] == 1
    assert samples[("exifq_jobs_in_flight", ())] == 0
    assert jobmetrics.bucket_index(0.01) == 0 and jobmetrics.bucket_index(1e9) == 13
