"""`melodiclens recommend --batch` with hostile lines (issue 10, finding 8): every line gets its
own answer or its own error line, whatever its bytes, and the batch always reaches its end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli_recommend import cli_env

pytestmark = pytest.mark.slow
__all__ = ["cli_env"]  # a fixture, used by name

ROOT = Path(__file__).resolve().parent.parent


def run_batch(env: dict[str, str], data: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "recommend", "--batch", "-"],
        env=env, input=data, capture_output=True, timeout=300, cwd=ROOT, check=False,
    )  # fmt: skip


def test_every_hostile_line_gets_its_own_line(cli_env: dict[str, str]) -> None:
    lines = [
        b'{"id": "first", "text": "sunny beach party"}',
        b'{"id": "latin1", "text": "caf\xe9 au lait"}',  # not UTF-8
        b'{"id": "surrogate", "text": "rainy night \\ud83d"}',  # a lone surrogate
        b'{"id": "\\udc80", "text": "calm lake"}',  # a lone surrogate in the id
        b"[" * 100_000 + b"]" * 100_000,  # nesting past any parser's depth
        b'{"id": "nul", "text": "quiet\\u0000 piano"}',
        b'{"id": "invisible", "text": "\\u200b\\u200d\\ufeff"}',  # zero-width only
        b'{"id": "top-list", "text": "happy", "top": [3]}',
        b'{"id": "image-number", "image": 42}',
        b'{"id": "text-object", "text": {"mood": "sad"}}',
        b'{"id": "huge", "text": "' + b"a" * 1_500_000 + b'"}',
        b'["not", "an", "object"]',
        b"\xff\xfe\x00\x00 garbage",
        b'{"id": "last", "text": "slow acoustic evening"}',
        b'{"id": "spanish", "text": "sunny beach party", "lang": "es"}',  # asks for Spanish
        b'{"id": "bad-lang", "text": "calm", "lang": "<b>xx</b>"}',
        b'{"id": "lang-number", "text": "calm", "lang": 7}',
    ]
    done = run_batch(cli_env, b"\n".join(lines) + b"\n")
    assert b"Traceback" not in done.stderr, done.stderr.decode(errors="replace")[-2000:]
    out = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert len(out) == len(lines)
    by_id = {str(o["id"]): o for o in out}
    assert by_id["first"]["tracks"] and by_id["last"]["tracks"]
    assert "UTF-8" in by_id["2"]["error"]  # unreadable: answered under its line number
    assert by_id["surrogate"]["tracks"] and by_id["nul"]["tracks"]
    assert by_id["\udc80"]["tracks"]
    assert "JSON object" in by_id["5"]["error"]
    assert by_id["invisible"]["error"]  # no words left: nothing to match
    assert "top" in by_id["top-list"]["error"] and "image" in by_id["image-number"]["error"]
    assert "text" in by_id["text-object"]["error"]
    assert "longer than" in by_id["11"]["error"]
    assert "JSON object" in by_id["12"]["error"] and by_id["13"]["error"]
    # English unless a line asks; the same picks then say why in Spanish, tags stay codes
    first, spanish = by_id["first"], by_id["spanish"]
    assert [t["spotify_id"] for t in spanish["tracks"]] == [
        t["spotify_id"] for t in first["tracks"]
    ]
    assert [t["tags"] for t in spanish["tracks"]] == [t["tags"] for t in first["tracks"]]
    pairs = zip(spanish["tracks"], first["tracks"], strict=True)
    assert any(said["reason"] != english["reason"] for said, english in pairs)
    assert spanish["mood"]["line"] != first["mood"]["line"]
    assert "lang must be one of" in by_id["bad-lang"]["error"]
    assert "lang must be one of" in by_id["lang-number"]["error"]
    assert done.returncode == 1
