"""Answer origin: whose answer and words a derived answer came from; one saved playlist per press.

- `recommendations.origin_id`: the answer a button press (More like this, Different vibe,
  Calmer, More energy) was made from; SET NULL when that answer goes.
- `recommendations.words_user_id`: whose words and photos the answer's query holds, when that
  is not the answer's own listener (someone else pressed). Forget-me scrubs those rows by it
  instead of guessing through shared photo hashes (which also caught other people's own
  answers to the same picture). No foreign key: forget-me scrubs before it deletes the user.
- `saved_playlists`: the playlist "Save as playlist" made for one answer and one presser, so
  a second press gives the same playlist instead of a new one; a row with no playlist yet is
  a press in flight (`claimed_at` lets a crashed one be taken over).

Answers stored before this revision are matched to the press that made them where the record
is clear: the presser's feedback on an answer in the same chat, with the same words and
caption, shortly before.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# A press makes its answer within seconds of its feedback row; a minute leaves room for a
# slow vision-free recommendation without matching unrelated answers.
BACKFILL_WINDOW_S = 60

UPGRADE = """
ALTER TABLE recommendations
    ADD COLUMN origin_id bigint REFERENCES recommendations(id) ON DELETE SET NULL;
ALTER TABLE recommendations ADD COLUMN words_user_id bigint;
CREATE INDEX recommendations_words_user ON recommendations (words_user_id)
    WHERE words_user_id IS NOT NULL;
CREATE INDEX recommendations_origin ON recommendations (origin_id) WHERE origin_id IS NOT NULL;

CREATE TABLE saved_playlists (
    recommendation_id bigint NOT NULL REFERENCES recommendations(id) ON DELETE CASCADE,
    user_id           bigint NOT NULL REFERENCES chat_users(id) ON DELETE CASCADE,
    playlist_id       text,
    playlist_url      text,
    name              text,
    tracks            integer NOT NULL DEFAULT 0,
    claimed_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (recommendation_id, user_id)
);
"""

BACKFILL = f"""
UPDATE recommendations d
SET origin_id = src.id, words_user_id = COALESCE(src.words_user_id, src.user_id)
FROM recommendations src
JOIN feedback f ON f.recommendation_id = src.id AND f.kind IN ('more', 'different')
WHERE d.user_id = f.user_id AND d.user_id IS DISTINCT FROM src.user_id
  AND d.id > src.id AND d.origin_id IS NULL
  AND (d.platform, d.chat_id) IS NOT DISTINCT FROM (src.platform, src.chat_id)
  AND d.query->'words' IS NOT DISTINCT FROM src.query->'words'
  AND d.query->'caption' IS NOT DISTINCT FROM src.query->'caption'
  AND d.created_at BETWEEN f.created_at - interval '1 second'
                       AND f.created_at + interval '{BACKFILL_WINDOW_S} seconds'
"""

DOWNGRADE = """
DROP TABLE IF EXISTS saved_playlists;
DROP INDEX IF EXISTS recommendations_origin;
DROP INDEX IF EXISTS recommendations_words_user;
ALTER TABLE recommendations DROP COLUMN IF EXISTS words_user_id;
ALTER TABLE recommendations DROP COLUMN IF EXISTS origin_id;
"""


def _run(script: str) -> None:
    # asyncpg prepares each statement on its own: one statement per execute.
    for statement in script.split(";\n"):
        if statement.strip():
            op.execute(statement)


def upgrade() -> None:
    _run(UPGRADE)
    op.execute(BACKFILL)


def downgrade() -> None:
    _run(DOWNGRADE)
