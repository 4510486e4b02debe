"""`melodiclens doctor`: checks every part MelodicLens needs and prints the fix for each problem."""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import TYPE_CHECKING, Any

from bot.cli.doctor_tokens import Check

if TYPE_CHECKING:  # the services are imported by the checks themselves, when they run
    from bot.settings import Settings
    from db.pool import Database

# How each line of the report starts: fine, to fix, or missing but not needed.
MARKS = {"ok": "ok      ", "fix": "FIX     ", "optional": "optional"}
MARK_WIDTH = len(MARKS["optional"])


def register(subparsers: Any) -> None:
    """Add the `doctor` command."""
    parser = subparsers.add_parser(
        "doctor",
        help="check the database, Ollama, models, catalog, tokens and the web port",
        description=(
            "Check every part MelodicLens uses and print the fix for each problem: the database "
            "and its schema, the catalog, the text model, the vision model on each OLLAMA_HOST, "
            "the chat and Spotify tokens (each asked of its service) and the web port. Parts "
            "marked 'optional' (the vision model, Genius) make answers better but are not "
            "needed. Exit status: 0 when nothing needs fixing, 1 otherwise."
        ),
    )
    parser.set_defaults(handler=run_doctor)


async def run_doctor(settings: Settings, args: argparse.Namespace) -> int:
    """Run every check, print the report; exit 1 if anything that is needed needs fixing."""
    from bot.cli.doctor_tokens import token_checks

    # The text model loads on a thread while the database starts: the two slowest checks overlap.
    embedder = asyncio.create_task(asyncio.to_thread(_embedder_check, settings))
    checks = await _database_part(settings)
    checks += await _vision_checks(settings)
    checks.append(await embedder)
    checks += _chat_checks(settings)
    checks += await token_checks(settings)
    for check in checks:
        print(format_check(check))
    return 1 if any(check.needs_fixing for check in checks) else 0


def format_check(check: Check) -> str:
    """A report line (and the fix, indented, on the next line when there is one)."""
    mark = MARKS["ok" if check.ok else "optional" if check.optional else "fix"]
    line = f"{mark} {check.name}: {check.detail}"
    if check.fix:
        line += f"\n{' ' * MARK_WIDTH} -> {check.fix}"
    return line


async def _database_part(settings: Settings) -> list[Check]:
    """The database, its schema, the catalog and the secret key's use."""
    from db.errors import DatabaseError
    from db.pool import connect

    try:
        database = await connect(settings.database_url, settings.data_dir, pool_size=2)
    except DatabaseError as err:
        return [Check("database", False, str(err), _database_fix(settings))]
    try:
        return await _database_checks(database) + await _secret_checks(settings, database)
    finally:
        await database.close()


def _database_fix(settings: Settings) -> str:
    if settings.database_url:
        return "check DATABASE_URL, or unset it to use the embedded PostgreSQL"
    return f"check the embedded server's log in {settings.postgres_dir / 'log'}"


async def _database_checks(database: Database) -> list[Check]:
    from db import migrations

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
        fix = "melodiclens catalog import CATALOG.csv --trending (see README, Quick start)"
        checks.append(Check("catalog", False, "no tracks yet", fix))
    else:
        checks.append(Check("catalog", True, f"{catalog:,} tracks, {trending:,} trending"))
    return checks


async def _secret_checks(settings: Settings, database: Database) -> list[Check]:
    """Whether every stored Spotify token is under the current secret key."""
    import asyncpg

    from db.errors import DatabaseError
    from handlers.key_rotation import key_use
    from handlers.secrets import SecretKeyMissing, TokenCipher

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
        detail = f"{links(use.unreadable)} no key can read"
        return [Check("secret key", False, detail, fix)]
    if use.old:
        detail = f"{links(use.old)} still under an old key"
        return [Check("secret key", False, detail, "melodiclens secrets rotate")]
    return [Check("secret key", True, f"{links(use.current)}, all under the current key")]


def links(count: int) -> str:
    """ "1 Spotify link", "2 Spotify links"."""
    from handlers.texts import plural

    return plural(count, "Spotify link")


async def _vision_checks(settings: Settings) -> list[Check]:
    """Each vision host, asked at once; optional, since without one answers come from the
    photo's pixels (and say so)."""
    from bot.app import vision_hosts
    from recsys.vision_hosts import check_host

    pool = vision_hosts(settings)
    model = settings.vision_model
    statuses = await asyncio.gather(
        *(check_host(pool.client(host), host, model) for host in pool.urls)
    )
    checks = []
    for host, status in zip(pool.urls, statuses, strict=True):
        if status.ok:
            seeing = "sees images" if status.sees_images else "capabilities not reported"
            checks.append(Check(f"vision {host}", True, f"{model} pulled, {seeing}"))
        else:
            detail, _, fix = (status.problem or "").partition(": ")
            detail += " (photos are answered from their colours and light until it works)"
            checks.append(Check(f"vision {host}", False, detail, fix, optional=True))
    return checks


def _embedder_check(settings: Settings) -> Check:
    from recsys.embedder import Embedder, EmbedderError

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
