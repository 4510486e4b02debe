"""The one backoff rule of every retry loop: waits double from a base up to a cap.

Used for a failed job's next try (handlers/edge/worker.py), for a loop waiting out a database
outage (the job worker, the chat inbox), and for the chat adapters' reconnect loops.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from db.errors import describe

# Doubling past this many failures changes nothing (every cap is reached long before) and
# would overflow a float.
MAX_DOUBLINGS = 60


@dataclass(frozen=True)
class Backoff:
    """Waits of `base_s`, 2 x `base_s`, 4 x `base_s`... never longer than `cap_s`."""

    base_s: float
    cap_s: float

    def delay_s(self, failures: int) -> float:
        """The wait after the `failures`-th failure in a row (1 is the first)."""
        doublings = min(max(failures - 1, 0), MAX_DOUBLINGS)
        return float(min(self.base_s * 2.0**doublings, self.cap_s))

    def capped(self, delay_s: float) -> float:
        """A wait someone else asked for (a Retry-After), kept between 0 and the cap."""
        return float(min(max(delay_s, 0.0), self.cap_s))


class Failures:
    """Consecutive failed rounds of a loop that must outlive its database going away: how
    many, and the last error. A base for dataclasses that declare both fields."""

    failures: int
    last_error: str

    def failed(self, err: BaseException, backoff: Backoff) -> float:
        """Count a failed round; the seconds to wait before the next."""
        self.failures += 1
        self.last_error = describe(err)
        return backoff.delay_s(self.failures)

    def recovered(self) -> int:
        """A round went through: how many had failed before it (0 when none)."""
        failures, self.failures, self.last_error = self.failures, 0, ""
        return failures

    def log_failure(self, log: logging.Logger, what: str, delay_s: float) -> None:
        """One warning per failed round ("<what> (<error>); retrying in N s"), the traceback
        only with the first; call it while handling the error."""
        log.warning("%s (%s); retrying in %.0f s", what, self.last_error, delay_s,
                    exc_info=self.failures == 1)  # fmt: skip

    def log_recovery(self, log: logging.Logger, what: str, failures: int) -> None:
        """One line ("<what> after N tries") when a round goes through after failed ones."""
        if failures:
            log.info("%s after %d tries", what, failures)


@dataclass
class Outage(Failures):
    """The failed rounds of one loop (the job worker keeps its own, in its health)."""

    failures: int = 0
    last_error: str = ""
