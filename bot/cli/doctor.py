"""`melodiclens doctor`: checks every part MelodicLens needs and prints the fix for each problem."""

from __future__ import annotations

import argparse
import time
from typing import Any

import asyncpg

from bot.app import vision_hosts
from bot.cli.doctor_tokens import Check, token_checks
from bot.settings import Settings
from db import migrations
from db import moods as mood_store
from db.errors import DatabaseError
from db.pool import Database, connect
from handlers.key_rotation import key_use
from handlers.library_moods import share_line
from handlers.secrets import SecretKeyMissing, TokenCipher
from recsys.embedder import Embedder, EmbedderError
from recsys.vision_hosts import check_host


def register(subparsers: Any) -> None:
    """Add the `doctor` command."""
    parser = subparsers.add_parser(
        "doctor", help="check the database, Ollama, models, catalog, tokens and the web port"
    )
    parser.set_defaults(handler=run_doctor)


async def run_doctor(settings: Settings, args: argparse.Namespace) -> int:
    """Run every check, print the report; exit 1 if anything needs fixing."""
    checks: list[Check] = []
    try:
        database = await connect(settings.database_url, settings.data_dir, pool_size=2)
    except DatabaseError as err:
        checks.append(Check("database", False, str(err), _database_fix(settings)))
        database = None
    if database is not None:
        try:
            checks += await _database_checks(database)
            checks += await _secret_checks(settings, database)
        finally:
            await database.close()
    checks += await _vision_checks(settings)
    checks.append(_embedder_check(settings))
    checks += _chat_checks(settings)
    checks += await token_checks(settings)
    for check in checks:
        mark = "ok  " if check.ok else "FIX "
        print(f"{mark} {check.name}: {check.detail}")
        if check.fix:
            print(f"     -> {check.fix}")
    return 0 if all(c.ok for c in checks) else 1


def _database_fix(settings: Settings) -> str:
    if settings.database_url:
        return "check DATABASE_URL, or unset it to use the embedded PostgreSQL"
    return f"check the embedded server's log in {settings.postgres_dir / 'log'}"


async def _database_checks(database: Database) -> list[Check]:
    where = "embedded" if database.embedded else "DATABASE_URL"
    checks = [
        Check("database", True, f"PostgreSQL ({where}) with pgvector {database.pgvector_version}")
    ]
    revision, head = await migrations.current_revision(database.url), migrations.head_revision()
    if revision != head:
        checks.append(
            Check(
                "schema",
                False,
                f"at {revision or 'base'}, newest is {head}",
                "melodiclens db upgrade",
            )
        )
        return checks
    checks.append(Check("schema", True, f"at {revision}"))
    catalog = await database.pool.fetchval("SELECT count(*) FROM tracks WHERE in_catalog")
    trending = await database.pool.fetchval("SELECT count(DISTINCT track_id) FROM trending_entries")
    if not catalog:
        fix = "melodiclens catalog import ../shared/data/trending_catalog.csv --trending"
        checks.append(Check("catalog", False, "no tracks yet", fix))
    else:
        checks.append(Check("catalog", True, f"{catalog:,} tracks, {trending:,} trending"))
    checks.append(await _mood_check(database))
    return checks


async def _mood_check(database: Database) -> Check:
    """How many library and trending tracks have a measured, estimated or no mood."""
    shares = await mood_store.mood_shares(database.pool)
    library, trending = share_line(shares["library"]), share_line(shares["trending"])
    blind = shares["library"]["none"] + shares["trending"]["none"]
    fix = (
        ""
        if not blind
        else "set MELODICLENS_FEATURES_URL (docs/library_mood.md) or import a catalog"
    )
    return Check("moods", True, f"library {library}; trending {trending}", fix)


async def _secret_checks(settings: Settings, database: Database) -> list[Check]:
    """Whether every stored Spotify token is under the current secret key."""
    try:
        cipher = TokenCipher(settings.secret_keys)
    except SecretKeyMissing:
        return []
    try:
        use = await key_use(database, cipher)
    except (DatabaseError, asyncpg.PostgresError) as err:
        return [Check("secret key", False, str(err))]
    if use.unreadable:
        fix = (
            "put the key those links were made with in MELODICLENS_OLD_SECRET_KEYS and run "
            "melodiclens secrets rotate (else their owners are asked to link again)"
        )
        return [Check("secret key", False, f"{use.unreadable} link(s) no key can read", fix)]
    if use.old:
        detail = f"{use.old} link(s) still under an old key"
        return [Check("secret key", False, detail, "melodiclens secrets rotate")]
    return [Check("secret key", True, f"{use.current} link(s), all under the current key")]


async def _vision_checks(settings: Settings) -> list[Check]:
    pool = vision_hosts(settings)
    checks = []
    for host in pool.urls:
        status = await check_host(pool.client(host), host, settings.vision_model)
        if status.ok:
            seeing = "sees images" if status.sees_images else "capabilities not reported"
            checks.append(
                Check(f"vision {host}", True, f"{settings.vision_model} pulled, {seeing}")
            )
        else:
            detail, _, fix = (status.problem or "").partition(": ")
            checks.append(Check(f"vision {host}", False, detail, fix))
    return checks


def _embedder_check(settings: Settings) -> Check:
    embedder = Embedder(settings.embedding_model, settings.embedding_batch_size)
    started = time.perf_counter()
    try:
        embedder.warm()
        embedder.embed_texts(["a quiet rainy evening"])
    except EmbedderError as err:
        return Check(
            "embedder", False, str(err), "set MELODICLENS_EMBEDDING_MODEL or leave it empty"
        )
    finally:
        embedder.close()
    return Check("embedder", True, f"loaded in {time.perf_counter() - started:.1f} s")


def _chat_checks(settings: Settings) -> list[Check]:
    checks = []
    if not (settings.telegram_token or settings.discord_token):
        checks.append(
            Check(
                "chat",
                False,
                "no chat platform configured",
                "set TELEGRAM_TOKEN and/or DISCORD_TOKEN",
            )
        )
    else:
        names = [
            n
            for n, t in (("Telegram", settings.telegram_token), ("Discord", settings.discord_token))
            if t
        ]
        checks.append(Check("chat", True, " and ".join(names)))
    if settings.spotify_client_id and not settings.secret_key:
        fix = "set MELODICLENS_SECRET_KEY (openssl rand -hex 32) to link Spotify accounts"
        checks.append(Check("spotify", False, "client id set but no secret key", fix))
    elif settings.spotify_client_id:
        checks.append(
            Check("spotify", True, f"linking on, redirect {settings.spotify_redirect_uri}")
        )
    return checks
