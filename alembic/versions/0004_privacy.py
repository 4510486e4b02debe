"""Privacy: button tokens, photos behind an answer, jobs owned by a user, unreadable links.

- `recommendations.press_token`: an answer's buttons carry this unguessable token, so a
  press cannot name somebody else's answer by counting ids.
- `recommendations.image_hashes`: the photos an answer was made from, so forgetting a user
  also forgets the cached captions of their photos.
- `jobs.user_id` and status 'cancelled': forget-me finds a user's jobs (a running sync is
  cancelled and its payload wiped) without reading payloads.
- `spotify_links.status` 'unreadable': the tokens no longer decrypt (the secret key changed
  without rotation); the link is not synced again and its owner is told once.
- `feedback.recommendation_id` nullable, SET NULL: thumbs survive the retention pruning of
  the answers they were given on.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE recommendations ADD COLUMN press_token text;
ALTER TABLE recommendations ADD COLUMN image_hashes text[] NOT NULL DEFAULT '{}';
CREATE INDEX recommendations_created ON recommendations (created_at);
CREATE INDEX recommendations_image_hashes ON recommendations USING gin (image_hashes);
CREATE INDEX caption_cache_created ON caption_cache (created_at);

ALTER TABLE jobs ADD COLUMN user_id bigint;
UPDATE jobs SET user_id = (payload->>'user_id')::bigint
    WHERE payload->>'user_id' ~ '^[0-9]{1,18}$';
CREATE INDEX jobs_user ON jobs (user_id) WHERE user_id IS NOT NULL;
ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check
    CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled'));
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE status IN ('done', 'failed', 'cancelled');

ALTER TABLE spotify_links DROP CONSTRAINT spotify_links_status_check;
ALTER TABLE spotify_links ADD CONSTRAINT spotify_links_status_check
    CHECK (status IN ('active', 'revoked', 'unreadable'));

ALTER TABLE feedback ALTER COLUMN recommendation_id DROP NOT NULL;
ALTER TABLE feedback DROP CONSTRAINT feedback_recommendation_id_fkey;
ALTER TABLE feedback ADD CONSTRAINT feedback_recommendation_id_fkey
    FOREIGN KEY (recommendation_id) REFERENCES recommendations(id) ON DELETE SET NULL
"""

DOWNGRADE = """
DELETE FROM feedback WHERE recommendation_id IS NULL;
ALTER TABLE feedback DROP CONSTRAINT feedback_recommendation_id_fkey;
ALTER TABLE feedback ADD CONSTRAINT feedback_recommendation_id_fkey
    FOREIGN KEY (recommendation_id) REFERENCES recommendations(id) ON DELETE CASCADE;
ALTER TABLE feedback ALTER COLUMN recommendation_id SET NOT NULL;

UPDATE spotify_links SET status = 'revoked' WHERE status = 'unreadable';
ALTER TABLE spotify_links DROP CONSTRAINT spotify_links_status_check;
ALTER TABLE spotify_links ADD CONSTRAINT spotify_links_status_check
    CHECK (status IN ('active', 'revoked'));

UPDATE jobs SET status = 'failed' WHERE status = 'cancelled';
DROP INDEX IF EXISTS jobs_finished;
ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check
    CHECK (status IN ('queued', 'running', 'done', 'failed'));
DROP INDEX IF EXISTS jobs_user;
ALTER TABLE jobs DROP COLUMN IF EXISTS user_id;

DROP INDEX IF EXISTS caption_cache_created;
DROP INDEX IF EXISTS recommendations_image_hashes;
DROP INDEX IF EXISTS recommendations_created;
ALTER TABLE recommendations DROP COLUMN IF EXISTS image_hashes;
ALTER TABLE recommendations DROP COLUMN IF EXISTS press_token
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
