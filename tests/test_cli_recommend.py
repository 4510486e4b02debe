"""`melodiclens recommend` end to end: real processes, the real embedded database."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from support.catalog_fixture import write_catalog
from support.fakes.fake_ollama import closed_port_url

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cli_env() -> Iterator[dict[str, str]]:
    """A data directory of its own (short path: Unix socket limit) with the fictional catalog."""
    data_dir = Path(tempfile.mkdtemp(prefix="mlc-", dir="/tmp"))
    env = {
        **os.environ,
        "MELODICLENS_DATA_DIR": str(data_dir),
        "OLLAMA_HOST": closed_port_url(),
        "MELODICLENS_VISION_TIMEOUT_S": "2",
        "DATABASE_URL": "",
    }
    catalog = write_catalog(data_dir / "catalog.csv")
    done = melodiclens(env, "catalog", "import", str(catalog), "--trending")
    assert done.returncode == 0, done.stderr
    yield env
    shutil.rmtree(data_dir, ignore_errors=True)


def melodiclens(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parent.parent,
    )


def test_batch_answers_each_line_and_survives_a_bad_one(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    photo = tmp_path / "dusk.png"
    Image.new("RGB", (80, 60), (30, 30, 60)).save(photo)
    lines = [
        {"id": "party", "text": "a wild dance party with friends", "top": 3},
        {"id": "rain", "text": "a lonely rainy night, quiet"},
        {"id": "broken", "image": str(tmp_path / "missing.jpg")},
        {"id": "dusk", "image": str(photo), "text": "calm"},
    ]
    done = melodiclens(
        cli_env, "recommend", "--batch", "-", stdin="\n".join(json.dumps(x) for x in lines)
    )
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["id"] for o in out] == ["party", "rain", "broken", "dusk"]
    party, rain, broken, dusk = out
    assert len(party["tracks"]) == 3 and len(rain["tracks"]) == 5
    assert set(party["tracks"][0]) == {
        "spotify_id", "title", "artists", "url", "tags", "reason", "score"
    }  # fmt: skip
    assert party["tracks"][0]["url"].startswith("https://open.spotify.com/track/")
    assert party["mood"]["traits"]["energy"] > rain["mood"]["traits"]["energy"]
    assert "error" in broken and "missing.jpg" in broken["error"]
    assert dusk["mood"]["vision_used"] is False and "not read" in dusk["mood"]["notice"]
    assert done.returncode == 1  # one query failed


def test_table_and_json_for_one_photo(cli_env: dict[str, str], tmp_path: Path) -> None:
    photo = tmp_path / "sunny.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), (250, 210, 90)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    table = melodiclens(cli_env, "recommend", str(photo), "--text", "sunny day", "--top", "2")
    assert table.returncode == 0, table.stderr
    assert "https://open.spotify.com/track/" in table.stdout
    assert "not read by the vision model" in table.stdout
    as_json = melodiclens(cli_env, "recommend", "--text", "sunny day", "--json")
    assert len(json.loads(as_json.stdout)["tracks"]) == 5


def test_refusals_are_sentences_not_tracebacks(cli_env: dict[str, str], tmp_path: Path) -> None:
    pdf = tmp_path / "scan.jpg"
    pdf.write_bytes(b"%PDF-1.7\n")
    done = melodiclens(cli_env, "recommend", str(pdf))
    assert done.returncode == 1
    assert "That file is a PDF document, not a photo." in done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    nothing = melodiclens(cli_env, "recommend")
    assert "give a photo, --text WORDS, or --batch FILE" in nothing.stderr
    unknown = melodiclens(cli_env, "recommend", "--text", "x", "--user", "telegram:nobody")
    assert "no listener 'telegram:nobody'" in unknown.stderr
