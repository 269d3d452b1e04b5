"""The API's storage breaker fails fast after repeated transient failures and lets one probe
through per cooldown (``common.storage.breaker``)."""

from __future__ import annotations

import pytest

from common.errors import TransientError
from common.storage import ObjectNotFound
from common.storage.breaker import FAILURES, Breaker
from common.storage.local import LocalStorage


class Flaky(LocalStorage):
    def __init__(self, root) -> None:
        super().__init__(root)
        self.down = False
        self.calls = 0

    def get(self, key: str) -> bytes:
        self.calls += 1
        if self.down:
            raise TransientError("away")
        return super().get(key)


def test_opens_after_failures_in_a_row_fails_fast_then_probes_once(tmp_path):
    now = [100.0]
    backend = Flaky(tmp_path)
    backend.put("results/a.json", b"{}")
    breaker = Breaker(backend, cooldown=2.0, clock=lambda: now[0])
    backend.down = True
    for _ in range(FAILURES):
        with pytest.raises(TransientError, match="away"):
            breaker.get("results/a.json")
    assert breaker.is_open and backend.calls == FAILURES
    with pytest.raises(TransientError, match="not tried again"):
        breaker.get("results/a.json")
    assert backend.calls == FAILURES  # failed fast: the backend was not asked
    now[0] += 2.5
    with pytest.raises(TransientError, match="away"):  # the probe, still failing
        breaker.get("results/a.json")
    with pytest.raises(TransientError, match="not tried again"):
        breaker.get("results/a.json")
    now[0] += 2.5
    backend.down = False
    assert breaker.get("results/a.json") == b"{}"  # the probe succeeds: closed
    assert not breaker.is_open and breaker.get("results/a.json") == b"{}"


def test_a_missing_key_is_an_answer_not_a_failure(tmp_path):
    breaker = Breaker(LocalStorage(tmp_path))
    for _ in range(2 * FAILURES):
        with pytest.raises(ObjectNotFound):
            breaker.get("results/missing.json")
    assert not breaker.is_open


def test_the_guard_takes_as_many_puts_at_once_as_its_store():
    from common.storage.s3 import S3Storage

    assert Breaker(LocalStorage(".")).parallel_puts == 1  # a local disk: one at a time
    assert S3Storage.parallel_puts == 8  # requests over the network: several at once
