"""`melodiclens doctor` against real parts: the embedded PostgreSQL, the real text model, a fake
Telegram that speaks the Bot API, and an Ollama that is not running (optional, so still exit 0)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.cli.doctor import run_doctor
from bot.cli.doctor_checks import _embedder_files_check, format_check
from bot.cli.doctor_tokens import Check
from bot.settings import Settings, load_settings
from db.pool import Database
from recsys.embedder import Embedder
from support.bot_process import free_port
from support.catalog_fixture import load_catalog
from support.fakes.fake_ollama import FakeOllama, closed_port_url
from support.fakes.fake_telegram import FakeTelegram


def settings_for(db: Database, telegram: FakeTelegram, ollama_url: str) -> Settings:
    """A working set-up with a chat token, and Ollama at `ollama_url`."""
    return load_settings(
        None,
        DATABASE_URL=db.url,
        OLLAMA_HOST=ollama_url,
        TELEGRAM_TOKEN=telegram.token,
        MELODICLENS_TELEGRAM_API_URL=telegram.url,
        MELODICLENS_HTTP_PORT=free_port(),
    )


@pytest.mark.slow
async def test_a_missing_vision_model_is_optional_and_doctor_exits_0(
    db: Database,
    embedder: Embedder,
    fake_telegram: FakeTelegram,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await load_catalog(db, embedder, tmp_path)
    settings = settings_for(db, fake_telegram, closed_port_url())
    code = await run_doctor(settings, argparse.Namespace(load_models=True))
    report = capsys.readouterr().out
    assert code == 0, report
    vision = next(line for line in report.splitlines() if " vision " in f" {line}")
    assert vision.startswith("optional"), report
    assert "answered from their colours and light" in report
    assert "FIX" not in report
    for needed in ("database", "schema", "catalog", "embedder", "telegram token", "web port"):
        assert f"ok       {needed}: " in report, needed


@pytest.mark.slow
async def test_a_needed_part_missing_still_fails(
    db: Database, fake_telegram: FakeTelegram, capsys: pytest.CaptureFixture[str]
) -> None:
    async with FakeOllama() as ollama:  # the model is there; the catalog is not
        code = await run_doctor(settings_for(db, fake_telegram, ollama.url), argparse.Namespace())
    report = capsys.readouterr().out
    assert code == 1
    assert "FIX      catalog: no tracks yet" in report
    assert "ok       vision " in report
    assert "../shared" not in report  # the fix names a step any user can take
    # Without --load-models the text model is checked from its files, torch not loaded.
    assert "ok       embedder: files in place in " in report


def test_a_text_model_folder_without_weights_needs_fixing(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    settings = load_settings(None, MELODICLENS_EMBEDDING_MODEL=str(tmp_path))
    check = _embedder_files_check(settings)
    assert check.needs_fixing and "no model config or weights" in check.detail
    assert "MELODICLENS_EMBEDDING_MODEL" in check.fix


def test_report_lines_say_ok_fix_or_optional() -> None:
    assert format_check(Check("schema", True, "at 0008")) == "ok       schema: at 0008"
    missing = format_check(Check("vision", False, "down", "ollama serve", optional=True))
    assert missing.splitlines() == ["optional vision: down", "         -> ollama serve"]
    assert format_check(Check("catalog", False, "no tracks yet")).startswith("FIX      catalog")
    assert not Check("vision", False, "down", optional=True).needs_fixing
    assert Check("catalog", False, "no tracks yet").needs_fixing
