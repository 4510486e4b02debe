"""The per-user rate limit: it limits, and it forgets users who went quiet."""

from __future__ import annotations

from handlers.throttle import RATE_WINDOW_S, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_limit_holds_within_a_window_and_lifts_after_it() -> None:
    clock = Clock()
    limiter = RateLimiter(3, clock)
    assert [limiter.retry_after("telegram:1") for _ in range(3)] == [0.0, 0.0, 0.0]
    clock.now += 10
    assert limiter.retry_after("telegram:1") == RATE_WINDOW_S - 10
    assert limiter.retry_after("telegram:2") == 0.0  # others are not affected
    clock.now += RATE_WINDOW_S
    assert limiter.retry_after("telegram:1") == 0.0


def test_idle_users_leave_the_limiter() -> None:
    clock = Clock()
    limiter = RateLimiter(6, clock)
    for user in range(10_000):
        limiter.retry_after(f"telegram:{user}")
        clock.now += 0.001
    assert len(limiter) == 10_000
    clock.now += RATE_WINDOW_S + 1
    limiter.retry_after("telegram:new")
    assert len(limiter) == 1
    # a user still inside the window is kept, with their count
    for _ in range(6):
        limiter.retry_after("telegram:busy")
    clock.now += RATE_WINDOW_S / 2
    limiter.retry_after("telegram:other")
    assert limiter.retry_after("telegram:busy") > 0
