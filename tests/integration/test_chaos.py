"""The chaos suite's short form (``python -m bench.chaos --short``), a few scenarios of it: a
steady load while one fault is injected and repaired, and not one accepted job lost."""

from __future__ import annotations

import pytest

from tests.support.chaos_scenarios import SCENARIOS, SHORT, run

pytestmark = pytest.mark.integration

# The RabbitMQ and the other Redis scenarios run in bench/chaos.py and, one fault each, in
# test_brokers.py and test_durability.py; these keep the CI form to a few minutes.
CI_SCENARIOS = (
    "worker SIGKILL (Redis broker)",
    "Redis restart with AOF everysec (job store and broker)",
    "S3 hanging",
    "local disk full",
)


@pytest.mark.parametrize("name", CI_SCENARIOS)
def test_no_accepted_job_is_lost(name, tmp_path):
    (scenario,) = [s for s in SCENARIOS if s.name == name]
    result = run(scenario, SHORT, tmp_path)
    print(f"{name}: {result.row}")
    assert result.accepted > 0 and result.completed > 0, result
    assert result.lost == 0, result
    assert result.failed == 0, result
    assert result.resumed is not None, result
