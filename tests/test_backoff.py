"""The one backoff rule: doubling from a base to a cap, a Retry-After kept under the cap, and
the failed rounds a loop counts while its database is away."""

from __future__ import annotations

import logging

import pytest

from handlers.backoff import Backoff, Outage
from handlers.edge.worker import JOB_RETRY, OUTAGE_RETRY, WorkerHealth


def test_waits_double_from_the_base_up_to_the_cap() -> None:
    rule = Backoff(base_s=2.0, cap_s=10.0)
    assert [rule.delay_s(n) for n in range(0, 6)] == [2, 2, 4, 8, 10, 10]
    assert rule.delay_s(10**9) == 10  # no overflow after a very long outage


def test_a_wait_asked_for_is_kept_between_zero_and_the_cap() -> None:
    assert JOB_RETRY.capped(120) == 120
    assert JOB_RETRY.capped(30 * 86_400) == JOB_RETRY.cap_s
    assert JOB_RETRY.capped(-5) == 0


def test_an_outage_counts_failed_rounds_and_logs_the_traceback_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="test.backoff")
    log = logging.getLogger("test.backoff")
    outage = Outage()
    waits = []
    for n in range(3):
        try:
            raise ConnectionRefusedError(f"refused {n}")
        except ConnectionRefusedError as err:
            waits.append(outage.failed(err, OUTAGE_RETRY))
            outage.log_failure(log, "loop: database unavailable", waits[-1])
    assert waits == [1, 2, 4] and outage.last_error == "ConnectionRefusedError: refused 2"
    assert [bool(r.exc_info) for r in caplog.records] == [True, False, False]
    assert outage.recovered() == 3 and outage.failures == 0 and outage.last_error == ""
    outage.log_recovery(log, "loop: database back", 3)
    assert caplog.records[-1].getMessage() == "loop: database back after 3 tries"


def test_worker_health_counts_failed_rounds_the_same_way() -> None:
    health = WorkerHealth("running")
    assert health.failed(TimeoutError("slow"), OUTAGE_RETRY) == 1
    assert health.as_dict() == {
        "state": "running",
        "last_error": "TimeoutError: slow",
        "failures": 1,
    }
