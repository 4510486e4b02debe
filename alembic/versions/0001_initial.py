"""Initial schema: tracks, trending, chat users, Spotify links, library, captions, answers, jobs.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

EMBEDDING_DIM = 384  # all-MiniLM-L6-v2

UPGRADE = f"""
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE tracks (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    spotify_id       text NOT NULL UNIQUE CHECK (spotify_id ~ '^[0-9A-Za-z]{{22}}$'),
    title            text NOT NULL,
    artists          text[] NOT NULL DEFAULT '{{}}',
    album            text,
    popularity       smallint CHECK (popularity BETWEEN 0 AND 100),
    release_year     smallint,
    genres           text[] NOT NULL DEFAULT '{{}}',
    danceability     real CHECK (danceability BETWEEN 0 AND 1),
    energy           real CHECK (energy BETWEEN 0 AND 1),
    key              smallint CHECK (key BETWEEN -1 AND 11),
    loudness         real,
    mode             smallint CHECK (mode IN (0, 1)),
    speechiness      real CHECK (speechiness BETWEEN 0 AND 1),
    acousticness     real CHECK (acousticness BETWEEN 0 AND 1),
    instrumentalness real CHECK (instrumentalness BETWEEN 0 AND 1),
    liveness         real CHECK (liveness BETWEEN 0 AND 1),
    valence          real CHECK (valence BETWEEN 0 AND 1),
    tempo            real CHECK (tempo >= 0),
    time_signature   smallint,
    duration_ms      integer,
    mood_words       text[] NOT NULL DEFAULT '{{}}',
    theme_tags       text[] NOT NULL DEFAULT '{{}}',
    lyrics_themes    text[] NOT NULL DEFAULT '{{}}',
    embedding        vector({EMBEDDING_DIM}),
    -- hash of the embedded text and model: an unchanged track is not embedded again
    content_hash     text,
    -- true for tracks of an imported catalog: they may be recommended to anyone
    in_catalog       boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tracks_embedding_hnsw ON tracks USING hnsw (embedding vector_cosine_ops);
CREATE INDEX tracks_in_catalog ON tracks (id) WHERE in_catalog;

CREATE TABLE trending_entries (
    source     text NOT NULL,
    track_id   bigint NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
    rank       integer NOT NULL CHECK (rank >= 1),
    fetched_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, track_id)
);
CREATE INDEX trending_entries_track ON trending_entries (track_id);

CREATE TABLE chat_users (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    platform         text NOT NULL CHECK (platform IN ('discord', 'telegram', 'cli')),
    platform_user_id text NOT NULL,
    display_name     text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (platform, platform_user_id)
);

CREATE TABLE chats (
    platform   text NOT NULL,
    chat_id    text NOT NULL,
    -- answer every photo in a group, not only those that mention the bot (/auto on)
    auto_reply boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform, chat_id)
);

CREATE TABLE chat_members (
    platform   text NOT NULL,
    chat_id    text NOT NULL,
    user_id    bigint NOT NULL REFERENCES chat_users(id) ON DELETE CASCADE,
    -- the member lets their linked library blend into this chat's answers
    blend      boolean NOT NULL DEFAULT false,
    last_seen  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform, chat_id, user_id),
    FOREIGN KEY (platform, chat_id) REFERENCES chats(platform, chat_id) ON DELETE CASCADE
);

CREATE TABLE spotify_links (
    user_id          bigint PRIMARY KEY REFERENCES chat_users(id) ON DELETE CASCADE,
    spotify_user_id  text,
    display_name     text,
    -- Fernet-encrypted with the secret-key setting; never stored in plain text
    access_token     bytea,
    refresh_token    bytea,
    token_expires_at timestamptz,
    scope            text,
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
    notify_chat_id   text,
    linked_at        timestamptz NOT NULL DEFAULT now(),
    last_synced_at   timestamptz
);

CREATE TABLE oauth_states (
    -- sha256 of the state sent to Spotify; the state itself is never stored
    state_hash     bytea PRIMARY KEY,
    user_id        bigint NOT NULL REFERENCES chat_users(id) ON DELETE CASCADE,
    code_verifier  bytea NOT NULL,
    notify_chat_id text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz
);

CREATE TABLE library_entries (
    user_id       bigint NOT NULL REFERENCES chat_users(id) ON DELETE CASCADE,
    track_id      bigint NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
    -- 'saved' for Liked Songs, else the Spotify playlist id
    playlist_id   text NOT NULL,
    playlist_name text NOT NULL,
    origin        text NOT NULL CHECK (origin IN ('playlist', 'saved', 'import')),
    added_at      timestamptz,
    synced_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, track_id, playlist_id)
);
CREATE INDEX library_entries_track ON library_entries (track_id);

CREATE TABLE caption_cache (
    image_hash     text NOT NULL,
    model          text NOT NULL,
    prompt_version text NOT NULL,
    caption        jsonb NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (image_hash, model, prompt_version)
);

CREATE TABLE lyrics_cache (
    -- normalised "artist|title"; misses are cached too (found = false)
    lookup_key  text PRIMARY KEY,
    found       boolean NOT NULL,
    themes      text[] NOT NULL DEFAULT '{{}}',
    fetched_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE recommendations (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint REFERENCES chat_users(id) ON DELETE CASCADE,
    platform   text,
    chat_id    text,
    query      jsonb NOT NULL DEFAULT '{{}}',
    mood       jsonb NOT NULL DEFAULT '{{}}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recommendations_user ON recommendations (user_id, created_at DESC);

CREATE TABLE recommendation_tracks (
    recommendation_id bigint NOT NULL REFERENCES recommendations(id) ON DELETE CASCADE,
    position          smallint NOT NULL,
    track_id          bigint NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
    score             real NOT NULL,
    PRIMARY KEY (recommendation_id, position)
);

CREATE TABLE feedback (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recommendation_id bigint NOT NULL REFERENCES recommendations(id) ON DELETE CASCADE,
    user_id           bigint NOT NULL REFERENCES chat_users(id) ON DELETE CASCADE,
    -- NULL: the feedback is on the whole answer
    track_id          bigint REFERENCES tracks(id) ON DELETE CASCADE,
    kind              text NOT NULL CHECK (kind IN ('up', 'down', 'more', 'different')),
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feedback_user ON feedback (user_id, kind);

CREATE TABLE jobs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL,
    payload      jsonb NOT NULL DEFAULT '{{}}',
    -- at most one queued or running job per key (e.g. one library sync per user)
    dedupe_key   text,
    status       text NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts     integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 5,
    run_after    timestamptz NOT NULL DEFAULT now(),
    locked_by    text,
    -- a running job whose lease has passed is taken as abandoned (its worker died)
    locked_until timestamptz,
    progress     jsonb NOT NULL DEFAULT '{{}}',
    result       jsonb,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE UNIQUE INDEX jobs_one_active_per_key ON jobs (dedupe_key)
    WHERE status IN ('queued', 'running');
CREATE INDEX jobs_claimable ON jobs (run_after) WHERE status IN ('queued', 'running');
"""

DOWNGRADE = """
DROP TABLE IF EXISTS jobs;
DROP TABLE IF EXISTS feedback;
DROP TABLE IF EXISTS recommendation_tracks;
DROP TABLE IF EXISTS recommendations;
DROP TABLE IF EXISTS lyrics_cache;
DROP TABLE IF EXISTS caption_cache;
DROP TABLE IF EXISTS library_entries;
DROP TABLE IF EXISTS oauth_states;
DROP TABLE IF EXISTS spotify_links;
DROP TABLE IF EXISTS chat_members;
DROP TABLE IF EXISTS chats;
DROP TABLE IF EXISTS chat_users;
DROP TABLE IF EXISTS trending_entries;
DROP TABLE IF EXISTS tracks;
"""


def _run(script: str) -> None:
    # asyncpg prepares each statement on its own: one statement per execute.
    for statement in script.split(";\n"):
        if statement.strip():
            op.execute(statement)


def upgrade() -> None:
    _run(UPGRADE)


def downgrade() -> None:
    _run(DOWNGRADE)
