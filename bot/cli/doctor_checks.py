"""The checks of `melodiclens doctor`: each part MelodicLens uses, and the fix for each problem."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.checks import Check

if TYPE_CHECKING:  # the services are imported by the checks themselves, when they run
    from bot.settings import Settings
    from db.pool import Database

# How each line of the report starts: fine, to fix, or missing but not needed.
MARKS = {"ok": "ok      ", "fix": "FIX     ", "optional": "optional"}
MARK_WIDTH = len(MARKS["optional"])


async def run_checks(settings: Settings, *, load_models: bool = False) -> int:
    """Run every check, print the report; 1 if anything that is needed needs fixing, else 0."""
    from bot.cli.doctor_tokens import token_checks

    # The text model is checked on a thread while the database starts: the two slowest checks
    # overlap.
    text_model = _embedder_check if load_models else _embedder_files_check
    embedder = asyncio.create_task(asyncio.to_thread(text_model, settings))
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
    checks.append(await _mood_check(database))
    return checks


async def _mood_check(database: Database) -> Check:
    """How many library and trending tracks have a measured, estimated or no mood."""
    from db import moods as mood_store
    from handlers.library_moods import share_line

    shares = await mood_store.mood_shares(database.pool)
    library, trending = share_line(shares["library"]), share_line(shares["trending"])
    blind = shares["library"]["none"] + shares["trending"]["none"]
    fix = "set MELODICLENS_FEATURES_URL (docs/library_mood.md) or import a catalog" if blind else ""
    return Check("moods", True, f"library {library}; trending {trending}", fix)


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
    from recsys.vision_hosts import VisionHostPool, check_host

    pool = VisionHostPool(
        settings.ollama_hosts,
        timeout_s=settings.vision_timeout_s,
        rest_s=settings.vision_host_rest_s,
    )
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


def _embedder_files_check(settings: Settings) -> Check:
    """The text model's files are in place, with the dimension the schema stores; read without
    loading torch (that takes seconds, and `run` and `recommend` do it anyway)."""
    from recsys.embedder import EMBEDDING_DIM, default_model_path

    fix = "set MELODICLENS_EMBEDDING_MODEL to a sentence-transformers folder, or leave it empty"
    folder = Path(settings.embedding_model or default_model_path())
    if not folder.is_dir():
        detail = f"{folder} is not a folder on this machine"
        return Check("embedder", False, detail + " (doctor --load-models tries to load it)", fix)
    weights = [*folder.glob("*.safetensors"), *folder.glob("pytorch_model.bin")]
    if not (folder / "config.json").is_file() or not weights:
        return Check("embedder", False, f"no model config or weights in {folder}", fix)
    dimension = _pooled_dimension(folder)
    if dimension not in (None, EMBEDDING_DIM):
        detail = f"{folder} gives {dimension}-d vectors; the schema stores {EMBEDDING_DIM}-d"
        return Check("embedder", False, detail, fix)
    return Check("embedder", True, f"files in place in {folder} (--load-models loads it)")


def _pooled_dimension(folder: Path) -> int | None:
    """The vector size a sentence-transformers folder declares, if it says."""
    try:
        config = json.loads((folder / "1_Pooling" / "config.json").read_text())
    except (OSError, ValueError):
        return None
    size = config.get("word_embedding_dimension") if isinstance(config, dict) else None
    return size if isinstance(size, int) else None


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
