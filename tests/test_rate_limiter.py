"""The per-user rate limit: it limits, each photo of an album counts (issue 10, finding 2),
and it forgets users who went quiet."""

from __future__ import annotations

from handlers.throttle import RATE_WINDOW_S, RateLimiter, TtlCache


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


def test_only_the_first_refusal_in_a_window_is_said() -> None:
    clock = Clock()
    limiter = RateLimiter(2, clock)
    said = []
    for _ in range(50):  # a flood
        if limiter.retry_after("telegram:1"):
            said.append(limiter.first_refusal("telegram:1"))
        clock.now += 0.1
    assert said.count(True) == 1 and len(said) == 48
    assert limiter.first_refusal("telegram:2")  # others are told on their own
    clock.now += RATE_WINDOW_S
    assert limiter.retry_after("telegram:1") == 0.0
    limiter.retry_after("telegram:1")
    assert limiter.retry_after("telegram:1") and limiter.first_refusal("telegram:1")


def test_the_cache_forgets_after_its_time_and_keeps_a_bounded_number() -> None:
    clock = Clock()
    cache: TtlCache[str, bool] = TtlCache(60.0, 2, clock)
    cache.put("a", True)
    assert cache.get("a") is True
    clock.now += 60
    assert cache.get("a") is None
    for key in ("a", "b", "c"):
        cache.put(key, False)
    assert cache.get("a") is None and cache.get("c") is False


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
