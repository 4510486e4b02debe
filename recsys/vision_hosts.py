"""Several Ollama hosts: each request goes to the least-busy healthy one; failures move on."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

import httpx
import pydantic

from recsys.ollama_lib import ollama

log = logging.getLogger(__name__)

T = TypeVar("T")

# `doctor` should say quickly that a host is down rather than wait for the caption timeout.
CHECK_TIMEOUT_S = 5.0
# While another healthy host is still untried, one host may use this share of the time left,
# so that a slow host cannot eat the whole budget and leave nothing for a healthy one.
HANDOFF_SHARE = 0.5


class VisionUnavailable(Exception):
    """The vision model cannot answer (down, slow, model missing); the reason says what to do."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class VisionHost:
    """One Ollama server and its live load."""

    url: str  # as configured: may hold credentials, so it is never shown
    client: ollama.AsyncClient
    in_flight: int = 0
    rested_until: float = 0.0  # event-loop time; before it the host gets no requests
    picks: int = 0
    last_failure: str = ""

    @property
    def name(self) -> str:
        """The URL as it may be shown: in metric labels, health output, errors and logs."""
        return host_name(self.url)


@dataclass(frozen=True)
class HostStatus:
    """What `melodiclens doctor` learns about one Ollama host."""

    host: str
    reachable: bool
    model: str
    model_pulled: bool = False
    # None: this Ollama is too old to report capabilities.
    sees_images: bool | None = None
    problem: str | None = None  # what is wrong and how to fix it; None when all is well

    @property
    def ok(self) -> bool:
        """Ready to caption photos."""
        return self.problem is None


@dataclass(frozen=True)
class HostLoad:
    """A snapshot of one host for logs, metrics and `doctor`."""

    url: str  # its display name (no credentials)
    in_flight: int
    resting: bool
    last_failure: str


class _HostFailed(Exception):
    """One attempt on one host failed; `retry` says whether another host may do better."""

    def __init__(self, reason: str, *, retry: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


class VisionHostPool:
    """Ollama clients for every configured host, with least-busy choice and failover."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        timeout_s: float,
        rest_s: float,
        on_call: Callable[[str, bool], None] | None = None,
    ) -> None:
        if not urls:
            raise ValueError("VisionHostPool needs at least one Ollama URL")
        # httpx's own timeout is the backstop; the per-attempt asyncio timeout is the real bound.
        self._hosts = [
            VisionHost(url, ollama.AsyncClient(host=url, timeout=timeout_s)) for url in urls
        ]
        self._timeout_s = timeout_s
        self._rest_s = rest_s
        # Told (host URL, succeeded) after every request, e.g. to count calls for metrics.
        self._on_call = on_call

    @property
    def urls(self) -> tuple[str, ...]:
        """The configured hosts' display names (no credentials), in order."""
        return tuple(host.name for host in self._hosts)

    def loads(self) -> tuple[HostLoad, ...]:
        """In-flight counts and rest state of every host."""
        now = _now()
        return tuple(
            HostLoad(host.name, host.in_flight, host.rested_until > now, host.last_failure)
            for host in self._hosts
        )

    def in_flight(self) -> int:
        """Requests on their way to any host right now."""
        return sum(host.in_flight for host in self._hosts)

    def client(self, url: str) -> ollama.AsyncClient:
        """The client of one configured host, by URL or display name (for health checks)."""
        for host in self._hosts:
            if url in (host.url, host.name):
                return host.client
        raise KeyError(url)

    async def close(self) -> None:
        """Close every host's HTTP connections."""
        for host in self._hosts:
            await host.client.close()

    async def call(
        self,
        request: Callable[[ollama.AsyncClient], Awaitable[T]],
        *,
        model: str,
        deadline: float | None = None,
    ) -> T:
        """Run `request` on the least-busy healthy host, moving on to the next one on failure."""
        tried: set[str] = set()
        reasons: list[str] = []
        while (host := self._pick(tried)) is not None:
            tried.add(host.url)
            budget = self._budget(deadline, tried)
            if budget <= 0:
                break
            try:
                return await self._attempt(host, request, model, budget)
            except _HostFailed as failure:
                reasons.append(failure.reason)
                if not failure.retry:
                    raise VisionUnavailable(failure.reason) from None
                self._rest(host, failure.reason)
        if not reasons:
            reasons.append(f"the vision model ({model}) ran out of time before any host answered")
        raise VisionUnavailable(_combine(reasons))

    async def _attempt(
        self,
        host: VisionHost,
        request: Callable[[ollama.AsyncClient], Awaitable[T]],
        model: str,
        budget: float,
    ) -> T:
        host.in_flight += 1
        host.picks += 1
        ok = False
        try:
            async with asyncio.timeout(budget):
                result = await request(host.client)
            ok = True
        except TimeoutError:
            raise _HostFailed(
                f"Ollama at {host.name} timed out after {budget:.1f} s", retry=True
            ) from None
        except Exception as err:
            failed = _classify(err, host.name, model)
            reason = failed.reason.replace(host.url, host.name)  # should a library quote it
            raise _HostFailed(reason, retry=failed.retry) from None
        finally:
            host.in_flight -= 1
            if self._on_call is not None:
                self._on_call(host.name, ok)
        if host.last_failure:
            log.info("vision host %s answers again", host.name)
            host.last_failure = ""
        return result

    def _pick(self, tried: set[str]) -> VisionHost | None:
        """Least busy among healthy untried hosts; else the untried one whose rest ends soonest."""
        now = _now()
        untried = [host for host in self._hosts if host.url not in tried]
        healthy = [host for host in untried if host.rested_until <= now]
        if healthy:
            # Ties go to the host picked least often, so sequential traffic is spread too.
            return min(healthy, key=lambda host: (host.in_flight, host.picks))
        if untried:
            # Everyone is resting: trying beats refusing outright.
            return min(untried, key=lambda host: host.rested_until)
        return None

    def _budget(self, deadline: float | None, tried: set[str]) -> float:
        remaining = self._timeout_s if deadline is None else deadline - _now()
        now = _now()
        others = any(h.url not in tried and h.rested_until <= now for h in self._hosts)
        return remaining * HANDOFF_SHARE if others else remaining

    def _rest(self, host: VisionHost, reason: str) -> None:
        host.rested_until = _now() + self._rest_s
        host.last_failure = reason
        log.warning("vision host %s rests for %.0f s: %s", host.name, self._rest_s, reason)


async def check_host(client: ollama.AsyncClient, host: str, model: str) -> HostStatus:
    """Does this host answer, is the model pulled, and can it see images?"""
    host = host_name(host)
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            listing = await client.list()
            names = {entry.model for entry in listing.models if entry.model}
            if not _pulled(model, names):
                problem = f"model {model} is not pulled on {host}: run `ollama pull {model}`"
                return HostStatus(host, True, model, problem=problem)
            shown = await client.show(model)
    except ollama.ResponseError as err:
        problem = f"Ollama at {host} answered an error ({err.status_code}): {err.error}"
        return HostStatus(host, True, model, problem=problem)
    except TimeoutError:
        problem = f"Ollama at {host} did not answer within {CHECK_TIMEOUT_S:g} s: is it overloaded?"
        return HostStatus(host, False, model, problem=problem)
    except (ConnectionError, OSError, httpx.HTTPError, pydantic.ValidationError):
        return HostStatus(host, False, model, problem=_unreachable(host))
    return _capability_status(host, model, shown.capabilities)


def host_name(url: str) -> str:
    """An Ollama URL as it may be shown: scheme, host, port and path, never a user, password
    or query (the Ollama client drops the user part anyway; a proxy's token may sit in either)."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme}://{netloc}{parts.path}".rstrip("/")


def _pulled(model: str, names: set[str]) -> bool:
    # Ollama reads a bare "llava" as "llava:latest".
    return model in names or (":" not in model and f"{model}:latest" in names)


def _capability_status(host: str, model: str, capabilities: Sequence[str] | None) -> HostStatus:
    if capabilities is None:
        return HostStatus(host, True, model, model_pulled=True, sees_images=None)
    if "vision" in capabilities:
        return HostStatus(host, True, model, model_pulled=True, sees_images=True)
    problem = (
        f"model {model} cannot see images (capabilities: {', '.join(capabilities)}): set "
        "MELODICLENS_VISION_MODEL to a vision model such as qwen2.5vl:3b and pull it"
    )
    return HostStatus(host, True, model, model_pulled=True, sees_images=False, problem=problem)


def _unreachable(host: str) -> str:
    return (
        f"cannot reach Ollama at {host}: is it running? Start it with `ollama serve` "
        "(or fix OLLAMA_HOST)"
    )


def _now() -> float:
    return asyncio.get_running_loop().time()


def _combine(reasons: list[str]) -> str:
    if len(reasons) == 1:
        return reasons[0]
    return "no vision host could answer: " + "; ".join(reasons)


def _classify(err: Exception, url: str, model: str) -> _HostFailed:
    """Turn a transport or Ollama error into a reason an operator can act on."""
    if isinstance(err, ollama.ResponseError):
        status = err.status_code
        if status == 404:
            # Another host may have the model pulled already; move on.
            return _HostFailed(
                f"model {model} is not pulled on {url}: run `ollama pull {model}`", retry=True
            )
        if status >= 500 or status == -1:
            return _HostFailed(f"Ollama at {url} failed ({status}): {err.error}", retry=True)
        return _HostFailed(
            f"Ollama at {url} refused the request ({status}): {err.error}", retry=False
        )
    if isinstance(err, ConnectionError | httpx.ConnectError):
        return _HostFailed(_unreachable(url), retry=True)
    if isinstance(err, httpx.TimeoutException):
        return _HostFailed(f"Ollama at {url} timed out ({type(err).__name__})", retry=True)
    if isinstance(err, httpx.HTTPError | OSError):
        return _HostFailed(f"lost the connection to Ollama at {url}: {err!r}", retry=True)
    if isinstance(err, pydantic.ValidationError | ValueError):
        return _HostFailed(f"{url} answered something that is not an Ollama reply", retry=True)
    raise err
