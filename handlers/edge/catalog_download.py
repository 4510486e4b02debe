"""Fetch a catalog CSV from an http(s) address into a local file, streamed, with a size cap.

The import itself reads files; this edge turns a URL into one and every way a download goes
wrong (not found, too slow, a web page instead of a CSV, too large) into CatalogDownloadError
with a sentence that says what to do.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import aiohttp

from db.urls import display_url, scrub_text

log = logging.getLogger(__name__)

# The largest catalog we fetch: the public 32,833-row tidytuesday file is a few MB and a
# million-track export a few hundred MB; past this a wrong link (a dump, a video) fills the disk.
MAX_CATALOG_DOWNLOAD_BYTES = 512 * 1024 * 1024
# Time to open the connection: a host that does not answer in this long is down or blocked.
CONNECT_TIMEOUT_S = 20.0
# Longest wait for the next chunk: a stalled transfer fails instead of hanging the command.
READ_TIMEOUT_S = 60.0
# Bytes read per step: large enough to keep the copy cheap, small enough for a moving bar.
CHUNK_BYTES = 64 * 1024
# How many leading bytes are looked at to tell a web page from a CSV.
SNIFF_BYTES = 512
# Redirects followed (GitHub's raw links take one or two); more is a loop or a trap.
MAX_REDIRECTS = 5
# A local file name is clipped to this (file systems refuse names past 255 bytes).
MAX_FILE_NAME_CHARS = 100
# What a URL's last path segment may keep in a local file name.
_UNSAFE_NAME_CHARS = re.compile(r"[^\w.\- ]+")

DownloadProgress = Callable[[int, int | None], None]


class CatalogDownloadError(Exception):
    """A catalog address that could not be fetched; the message says why and what to do."""


def is_url(location: str) -> bool:
    """Whether an import argument is an http(s) address rather than a file path."""
    return urlsplit(location).scheme.lower() in ("http", "https")


def file_name_for(url: str) -> str:
    """A local file name for a catalog address: its last path segment, as a .csv, with only
    word characters, dots, dashes and spaces (no NUL or slash) and at most 100 characters."""
    segment = unquote(urlsplit(url).path).rsplit("/", 1)[-1]
    if segment.lower().endswith(".csv"):
        segment = segment[:-4]
    stem = _UNSAFE_NAME_CHARS.sub("_", segment).strip(" ._")
    return f"{stem[: MAX_FILE_NAME_CHARS - 4] or 'catalog'}.csv"


async def download_catalog(
    url: str,
    target: Path,
    *,
    max_bytes: int = MAX_CATALOG_DOWNLOAD_BYTES,
    connect_timeout_s: float = CONNECT_TIMEOUT_S,
    read_timeout_s: float = READ_TIMEOUT_S,
    on_progress: DownloadProgress | None = None,
) -> int:
    """Stream `url` into `target` and return its size; raises CatalogDownloadError. Errors and
    logs name the address by its display form (no password, no signature)."""
    timeout = aiohttp.ClientTimeout(
        total=None, sock_connect=connect_timeout_s, sock_read=read_timeout_s
    )
    shown = display_url(url)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            await _follow(session, url) as response,
        ):
            _check_response(shown, response, max_bytes)
            return await _save(shown, response, target, max_bytes, on_progress)
    except CatalogDownloadError:
        _discard(target)
        raise
    except (TimeoutError, aiohttp.ServerTimeoutError) as err:
        _discard(target)
        raise CatalogDownloadError(
            f"{shown} did not answer in time (connect {connect_timeout_s:.0f} s, "
            f"read {read_timeout_s:.0f} s): try again, or download it and import the file."
        ) from err
    except aiohttp.ClientError as err:
        _discard(target)
        raise CatalogDownloadError(f"Could not fetch {shown}: {scrub_text(str(err))}") from err


async def _follow(session: aiohttp.ClientSession, url: str) -> aiohttp.ClientResponse:
    """The response at the end of `url`'s redirects. A redirect may not lead to another host
    with an internal address (loopback, private, link-local): the operator chose the first
    address, but whoever answers it must not point the import at the operator's own network."""
    first = urlsplit(url).hostname
    for _ in range(MAX_REDIRECTS + 1):
        response = await session.get(url, allow_redirects=False)
        location = response.headers.get("Location")
        if response.status not in (301, 302, 303, 307, 308) or not location:
            return response
        response.release()
        url = urljoin(url, location)
        host = urlsplit(url).hostname
        if urlsplit(url).scheme not in ("http", "https") or host is None:
            raise CatalogDownloadError(f"a redirect led to {display_url(url)}: not http(s).")
        if host != first and await _internal(host):
            raise CatalogDownloadError(
                f"a redirect led to {display_url(url)}, an internal address: refused. Import "
                "from that address directly if you mean it."
            )
    raise CatalogDownloadError(f"more than {MAX_REDIRECTS} redirects: check the address.")


async def _internal(host: str) -> bool:
    """Whether any address of `host` is not a public one (loopback, private, link-local...)."""
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False  # unresolvable: the request itself fails with a clear error
    return any(not ipaddress.ip_address(info[4][0]).is_global for info in infos)


def _discard(target: Path) -> None:
    """Remove a partial download (a local unlink: cheap enough to do on the loop)."""
    target.unlink(missing_ok=True)


def _check_response(url: str, response: aiohttp.ClientResponse, max_bytes: int) -> None:
    if response.status != 200:
        hint = " (check the address)" if response.status in (403, 404, 410) else ""
        raise CatalogDownloadError(
            f"{url} answered {response.status} {response.reason or ''}".rstrip() + f"{hint}."
        )
    if "html" in response.content_type:
        raise _web_page(url)
    if response.content_length is not None and response.content_length > max_bytes:
        raise _too_large(url, max_bytes)


async def _save(
    url: str,
    response: aiohttp.ClientResponse,
    target: Path,
    max_bytes: int,
    on_progress: DownloadProgress | None,
) -> int:
    size = 0
    head = b""
    # A compressed transfer's Content-Length counts compressed bytes: no total for the bar then.
    total = None if response.headers.get("Content-Encoding") else response.content_length
    with target.open("wb") as out:
        async for chunk in response.content.iter_chunked(CHUNK_BYTES):
            if len(head) < SNIFF_BYTES:
                head += chunk[: SNIFF_BYTES - len(head)]
                if _looks_like_html(head):
                    raise _web_page(url)
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(url, max_bytes)
            # Writes are small and local; a thread per chunk would cost more than it saves.
            out.write(chunk)
            if on_progress is not None:
                on_progress(size, total)
            await asyncio.sleep(0)
    if size == 0:
        raise CatalogDownloadError(f"{url} answered with an empty file.")
    log.info("downloaded %s (%d bytes) to %s", url, size, target)
    return size


def _looks_like_html(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype", b"<html", b"<head", b"<?xml"))


def _web_page(url: str) -> CatalogDownloadError:
    return CatalogDownloadError(
        f"{url} answered with a web page, not a CSV: use the raw file's address "
        "(on GitHub, the 'Raw' button)."
    )


def _too_large(url: str, max_bytes: int) -> CatalogDownloadError:
    return CatalogDownloadError(
        f"{url} is larger than the {max_bytes // (1024 * 1024)} MB download limit: "
        "download it yourself and import the file."
    )
