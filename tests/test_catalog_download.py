"""Catalog import from an http(s) address, against a local aiohttp server: every rejection path
(404, timeout, a web page, too large, empty) and a streamed download that the reader accepts."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import web

from handlers.edge.catalog_download import (
    CatalogDownloadError,
    download_catalog,
    file_name_for,
    is_url,
)
from recsys.catalog_csv import CatalogReader
from support import tidytuesday_sample
from support.fakes.loopback import LoopbackServer

CATALOG = web.AppKey("catalog", bytes)
# What a route of the test servers answers with.
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# ~130 KB of fictional tidytuesday rows: several 64 KB chunks, so the bar moves in steps.
STREAMED_ROWS = 600
# Short enough that the stalled route fails the test quickly, long enough for loopback.
TEST_READ_TIMEOUT_S = 0.5


async def _csv(request: web.Request) -> web.StreamResponse:
    # Streamed in small chunks without a Content-Length, as a chunked transfer arrives.
    response = web.StreamResponse(headers={"Content-Type": "text/csv"})
    await response.prepare(request)
    data = request.app[CATALOG]
    for at in range(0, len(data), 8000):
        await response.write(data[at : at + 8000])
    await response.write_eof()
    return response


async def _gzipped(request: web.Request) -> web.Response:
    response = web.Response(body=request.app[CATALOG], content_type="text/csv")
    response.enable_compression(web.ContentCoding.gzip)
    return response


async def _stalled(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/csv"})
    await response.prepare(request)
    await response.write(b"track_id,track_name,track_artist\n")
    await asyncio.sleep(TEST_READ_TIMEOUT_S * 6)
    return response


async def _github_page(request: web.Request) -> web.Response:
    return web.Response(
        text="<!DOCTYPE html><html><body>blob view</body></html>", content_type="text/html"
    )


async def _html_as_plain_text(request: web.Request) -> web.Response:
    return web.Response(
        text="\n  <html><head></head><body>hi</body></html>", content_type="text/plain"
    )


async def _big(request: web.Request) -> web.Response:
    return web.Response(body=b"track_id,track_name,track_artist\n" + b"x" * 5000)


async def _big_streamed(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    await response.prepare(request)
    await response.write(b"track_id,track_name,track_artist\n")
    for _ in range(10):
        await response.write(b"y" * 1000)
    await response.write_eof()
    return response


async def _empty(request: web.Request) -> web.Response:
    return web.Response(body=b"", content_type="text/csv")


@pytest.fixture(scope="module")
def streamed_catalog(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("tidy") / "spotify_songs.csv"
    return tidytuesday_sample.write_sample(path, STREAMED_ROWS).read_bytes()


@contextlib.asynccontextmanager
async def serving(
    catalog: bytes, routes: dict[str, Handler], host: str = "127.0.0.1"
) -> AsyncIterator[str]:
    """These GET routes, with the catalog at hand, on a loopback server; its root URL."""
    app = web.Application()
    app[CATALOG] = catalog
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    async with LoopbackServer(app, host=host) as server:
        yield server.url


@pytest.fixture
async def server(streamed_catalog: bytes) -> AsyncIterator[str]:
    routes: dict[str, Handler] = {
        "/data/spotify_songs.csv": _csv,
        "/gzipped.csv": _gzipped,
        "/stalled.csv": _stalled,
        "/blob/spotify_songs.csv": _github_page,
        "/sneaky.csv": _html_as_plain_text,
        "/big.csv": _big,
        "/big-streamed.csv": _big_streamed,
        "/empty.csv": _empty,
    }
    async with serving(streamed_catalog, routes) as url:
        yield url


async def test_a_streamed_csv_arrives_whole_and_reads_as_tidytuesday(
    server: str, tmp_path: Path, streamed_catalog: bytes
) -> None:
    seen: list[int] = []
    target = tmp_path / "spotify_songs.csv"
    size = await download_catalog(
        f"{server}/data/spotify_songs.csv", target, on_progress=lambda done, _: seen.append(done)
    )
    assert size == len(streamed_catalog) and target.read_bytes() == streamed_catalog
    assert seen == sorted(seen) and seen[-1] == size and len(seen) > 2
    reader = CatalogReader(target)
    assert reader.shape.name == "tidytuesday" and len(list(reader)) > STREAMED_ROWS * 0.8


async def test_a_compressed_transfer_is_saved_as_plain_csv(
    server: str, tmp_path: Path, streamed_catalog: bytes
) -> None:
    totals: list[int | None] = []
    target = tmp_path / "spotify_songs.csv"
    await download_catalog(
        f"{server}/gzipped.csv", target, on_progress=lambda _, total: totals.append(total)
    )
    assert target.read_bytes() == streamed_catalog
    # the compressed length is no total for the decompressed bytes
    assert set(totals) == {None}


async def test_not_found_names_the_status(server: str, tmp_path: Path) -> None:
    target = tmp_path / "x.csv"
    with pytest.raises(CatalogDownloadError, match=r"answered 404 Not Found \(check the address\)"):
        await download_catalog(f"{server}/nothing-here.csv", target)
    assert not target.exists()


async def test_a_stalled_server_times_out_with_a_sentence(server: str, tmp_path: Path) -> None:
    target = tmp_path / "x.csv"
    with pytest.raises(CatalogDownloadError, match="did not answer in time"):
        await download_catalog(f"{server}/stalled.csv", target, read_timeout_s=TEST_READ_TIMEOUT_S)
    assert not target.exists()


async def test_an_unreachable_host_is_refused_with_the_cause(tmp_path: Path) -> None:
    # port 9 (discard) is closed on loopback here
    with pytest.raises(CatalogDownloadError, match="Could not fetch"):
        await download_catalog("http://127.0.0.1:9/spotify_songs.csv", tmp_path / "x.csv")


@pytest.mark.parametrize("route", ["/blob/spotify_songs.csv", "/sneaky.csv"])
async def test_a_web_page_instead_of_a_csv_is_refused(
    server: str, tmp_path: Path, route: str
) -> None:
    target = tmp_path / "x.csv"
    with pytest.raises(CatalogDownloadError, match=r"web page, not a CSV.*Raw"):
        await download_catalog(f"{server}{route}", target)
    assert not target.exists()


@pytest.mark.parametrize("route", ["/big.csv", "/big-streamed.csv"])
async def test_a_file_over_the_size_cap_is_refused_and_removed(
    server: str, tmp_path: Path, route: str
) -> None:
    target = tmp_path / "x.csv"
    with pytest.raises(CatalogDownloadError, match="download limit"):
        await download_catalog(f"{server}{route}", target, max_bytes=4096)
    assert not target.exists()


async def test_an_empty_answer_is_refused(server: str, tmp_path: Path) -> None:
    with pytest.raises(CatalogDownloadError, match="empty file"):
        await download_catalog(f"{server}/empty.csv", tmp_path / "x.csv")


def test_urls_and_paths_are_told_apart_and_named() -> None:
    assert is_url("https://example.org/a.csv") and is_url("HTTP://example.org/a.csv")
    assert not is_url("spotify_songs.csv") and not is_url("/tmp/a.csv")
    assert file_name_for("https://h/x/data/spotify_songs.csv?raw=1") == "spotify_songs.csv"
    assert file_name_for("https://h/export") == "export.csv"
    assert file_name_for("https://h/") == "catalog.csv"


# --- the command: `melodiclens catalog import URL` ---------------------------------------


async def run_cli_async(*args: str, data_dir: Path) -> tuple[int, str, str]:
    """The CLI in a child process, awaited so that this loop keeps serving the fake host."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(MELODICLENS_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1")
    code = "import sys; from bot.cli import main; sys.exit(main())"
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, *args, cwd=data_dir, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(child.communicate(), timeout=600)
    return child.returncode or 0, out.decode(), err.decode()


@pytest.fixture
def cli_data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="mldl-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


async def test_cli_refuses_a_missing_url_before_starting_anything(
    server: str, cli_data_dir: Path
) -> None:
    code, _, err = await run_cli_async(
        "catalog", "import", f"{server}/gone/spotify_songs.csv", data_dir=cli_data_dir
    )
    assert code == 1
    assert "answered 404 Not Found (check the address)" in err
    assert "Traceback" not in err and not (cli_data_dir / "pg").exists()


@pytest.mark.slow
async def test_cli_imports_a_catalog_from_a_url_as_trending(
    server: str, cli_data_dir: Path, streamed_catalog: bytes
) -> None:
    url = f"{server}/data/spotify_songs.csv"
    code, out, err = await run_cli_async(
        "catalog", "import", url, "--trending", data_dir=cli_data_dir
    )
    assert code == 0, err
    lines = streamed_catalog.decode().splitlines()[1:]
    rows, unique = len(lines), len({line.split(",")[0] for line in lines})
    assert f"spotify_songs.csv (tidytuesday): {rows:,} rows" in out
    assert f"  imported   {unique:>9,}" in out
    assert f"    duplicate id: {rows - unique:,}" in out
    assert f"{unique:,} entries in source 'spotify_songs'" in out
    assert "downloading spotify_songs.csv" in err


# --- issue 21: redirects to internal hosts, secrets in addresses, hostile file names -------


@pytest.fixture
async def internal(streamed_catalog: bytes) -> AsyncIterator[str]:
    """A second host, 127.0.0.2: an internal address other than the one the operator named."""
    async with serving(streamed_catalog, {"/secret.csv": _csv}, host="127.0.0.2") as url:
        yield url


@pytest.fixture
async def redirector(internal: str, streamed_catalog: bytes) -> AsyncIterator[str]:
    """The operator's host, redirecting: to its own path, or to the other internal host."""

    async def to_other_host(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"{internal}/secret.csv")

    async def to_own_path(request: web.Request) -> web.Response:
        raise web.HTTPFound("/data/spotify_songs.csv")

    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop.csv")

    routes: dict[str, Handler] = {
        "/data/spotify_songs.csv": _csv,
        "/elsewhere.csv": to_other_host,
        "/moved.csv": to_own_path,
        "/loop.csv": loop,
    }
    async with serving(streamed_catalog, routes) as url:
        yield url


async def test_a_redirect_to_another_internal_host_is_refused(
    redirector: str, tmp_path: Path
) -> None:
    target = tmp_path / "c.csv"
    with pytest.raises(CatalogDownloadError) as refused:
        await download_catalog(f"{redirector}/elsewhere.csv", target)
    assert "an internal address: refused" in str(refused.value)
    assert "127.0.0.2" in str(refused.value) and not target.exists()


async def test_a_redirect_on_the_operators_own_host_is_followed(
    redirector: str, tmp_path: Path
) -> None:
    target = tmp_path / "c.csv"
    assert await download_catalog(f"{redirector}/moved.csv", target) > 0
    assert CatalogReader(target).shape.name == "tidytuesday"


async def test_a_redirect_loop_ends_with_a_sentence(redirector: str, tmp_path: Path) -> None:
    with pytest.raises(CatalogDownloadError, match="more than 5 redirects"):
        await download_catalog(f"{redirector}/loop.csv", tmp_path / "c.csv")


async def test_passwords_and_signatures_are_not_echoed(
    server: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    host = server.removeprefix("http://")
    signed = f"http://ops:hunter2@{host}/gone.csv?X-Amz-Signature=hunter2&token=hunter2"
    with pytest.raises(CatalogDownloadError) as refused:
        await download_catalog(signed, tmp_path / "c.csv")
    assert str(refused.value) == (
        f"http://{host}/gone.csv?X-Amz-Signature=***&token=*** answered 404 Not Found "
        "(check the address)."
    )
    unreachable = "http://ops:hunter2@127.0.0.1:9/c.csv?sig=hunter2"
    with pytest.raises(CatalogDownloadError) as down:
        await download_catalog(unreachable, tmp_path / "c.csv")
    caplog.set_level("DEBUG")
    await download_catalog(f"http://ops:hunter2@{host}/data/spotify_songs.csv", tmp_path / "d.csv")
    for shown in (str(refused.value), str(down.value), caplog.text):
        assert "hunter2" not in shown


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://h/" + "a" * 300 + ".csv", "a" * 96 + ".csv"),
        ("https://h/evil%00name.csv", "evil_name.csv"),
        ("https://h/..%2F..%2Fetc%2Fpasswd", "passwd.csv"),
        ("https://h/%00", "catalog.csv"),
        ("https://h/Top%20Hits.CSV", "Top Hits.csv"),
    ],
)
def test_hostile_file_names_become_safe_local_names(url: str, name: str) -> None:
    assert file_name_for(url) == name


async def test_a_hostile_file_name_downloads_without_a_traceback(
    server: str, tmp_path: Path
) -> None:
    target = tmp_path / file_name_for(f"{server}/{'x' * 300}%00.csv")
    assert await download_catalog(f"{server}/data/spotify_songs.csv", target) > 0
