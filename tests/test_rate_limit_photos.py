"""Each photo of an album counts against the per-user rate limit (issue 10, finding 2)."""

from __future__ import annotations

from handlers.throttle import RATE_WINDOW_S, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_album_costs_one_per_photo() -> None:
    clock = Clock()
    limiter = RateLimiter(6, clock)
    assert limiter.retry_after("telegram:1", cost=4) == 0.0
    clock.now += 10
    # Four photos counted: a second album of four would make eight.
    assert limiter.retry_after("telegram:1", cost=4) == RATE_WINDOW_S - 10
    assert limiter.retry_after("telegram:1", cost=2) == 0.0  # two more fit exactly
    assert limiter.retry_after("telegram:1") > 0


def test_an_album_larger_than_the_limit_takes_the_whole_window() -> None:
    clock = Clock()
    limiter = RateLimiter(6, clock)
    assert limiter.retry_after("telegram:1", cost=10) == 0.0
    assert limiter.retry_after("telegram:1") == RATE_WINDOW_S
    clock.now += RATE_WINDOW_S
    assert limiter.retry_after("telegram:1", cost=10) == 0.0


def test_other_users_are_not_affected() -> None:
    limiter = RateLimiter(2, Clock())
    assert limiter.retry_after("telegram:1", cost=2) == 0.0
    assert limiter.retry_after("telegram:2", cost=2) == 0.0
