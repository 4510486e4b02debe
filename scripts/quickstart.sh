#!/usr/bin/env bash
# The main command on a fresh machine: set up, import the trending catalog into the embedded
# PostgreSQL, then recommend songs for a photo (and for a few words). Safe to run again:
# the import is idempotent and the second run changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
ml=.venv/bin/melodiclens
data=${MELODICLENS_SHARED_DATA:-../shared/data}
catalog=${1:-$data/trending_catalog.csv}
photo=${2:-$data/photos/birthday_1.jpg}
if [ ! -f "$catalog" ]; then
  echo "quickstart: no catalog at $catalog. Pass a catalog CSV (seed catalog, tidytuesday or" >&2
  echo "an Exportify export): bash scripts/quickstart.sh CATALOG.csv [PHOTO]" >&2
  exit 1
fi
echo "== importing $catalog"
"$ml" catalog import "$catalog" --trending --source trending
if [ -f "$photo" ]; then
  echo "== songs for $photo"
  "$ml" recommend "$photo" --text "friends, celebration"
fi
echo "== songs for words alone"
"$ml" recommend --text "a quiet rainy evening alone, instrumental"
echo "== ready. Chat bots: set TELEGRAM_TOKEN and/or DISCORD_TOKEN in .env, then: $ml run"
