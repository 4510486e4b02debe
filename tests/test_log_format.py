"""MELODICLENS_LOG_FORMAT: text by default, or one JSON object per line that a collector parses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent

# A process that configures logging exactly as `melodiclens run` does, then logs a line and an
# error.
SCRIPT = """
import logging
from bot.cli.main import configure_logging, log_level
from bot.settings import load_settings

settings = load_settings(None)
configure_logging(log_level("run", 0, settings.log_level), settings.log_format)
log = logging.getLogger("handlers.example")
log.info("answered %s in %d ms", "telegram:42", 812)
try:
    {}["missing"]
except KeyError:
    log.exception("unexpected failure while answering")
logging.getLogger("httpx").info("a noisy library line")
"""


def run_logging(**env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MELODICLENS_")}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr.splitlines()


def test_json_lines_carry_time_level_logger_message_and_traceback() -> None:
    lines = run_logging(MELODICLENS_LOG_FORMAT="json")
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert len(entries) == 2  # the traceback stayed inside its entry; httpx stayed quiet
    info, error = entries
    assert set(info) == {"time", "level", "logger", "message"}
    assert info["level"] == "INFO" and info["logger"] == "handlers.example"
    assert info["message"] == "answered telegram:42 in 812 ms"
    assert info["time"].endswith("+00:00") and "T" in info["time"]
    assert error["level"] == "ERROR" and error["message"] == "unexpected failure while answering"
    assert error["exc_info"].startswith("Traceback") and "KeyError: 'missing'" in error["exc_info"]


def test_text_stays_the_default() -> None:
    lines = run_logging()
    assert " INFO handlers.example: answered telegram:42 in 812 ms" in lines[0]
    assert any(line.startswith("Traceback") for line in lines)
    with pytest.raises(json.JSONDecodeError):
        json.loads(lines[0])


def test_unknown_format_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MELODICLENS_LOG_FORMAT", "xml")
    with pytest.raises(SettingsError, match="MELODICLENS_LOG_FORMAT"):
        load_settings(None)
