#!/usr/bin/env bash
# The main command on a fresh machine: set up, import a trending catalog into the embedded
# PostgreSQL, then recommend songs for the bundled demo photo (and for a few words). Safe to
# run again: the import is idempotent and the second run changes nothing.
#
#   bash scripts/quickstart.sh [CATALOG.csv|URL] [PHOTO]
#
# With no catalog argument it downloads the public catalog at MELODICLENS_CATALOG_URL (default:
# tidytuesday's 32,833-row spotify_songs.csv, a few MB). The project's own checkouts, which
# have its private data set beside them (MELODICLENS_SHARED_DATA, default ../shared/data),
# import that set's trending catalog instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
ml=.venv/bin/melodiclens
data=${MELODICLENS_SHARED_DATA:-../shared/data}
public_catalog=https://raw.githubusercontent.com/rfordatascience/tidytuesday/master/data/2020/2020-01-21/spotify_songs.csv
catalog_url=${MELODICLENS_CATALOG_URL:-$public_catalog}
if [ $# -ge 1 ]; then
  catalog=$1
elif [ -f "$data/trending_catalog.csv" ]; then
  catalog=$data/trending_catalog.csv
else
  catalog=$catalog_url
  echo "== fetching the catalog at $catalog"
  echo "   (set MELODICLENS_CATALOG_URL to another catalog CSV's address to use that one)"
fi
photo=${2:-docs/demo/sunset_beach.jpg}
case $catalog in
  http://* | https://*) ;;
  *)
    if [ ! -f "$catalog" ]; then
      echo "quickstart: no catalog at $catalog. Pass a catalog CSV or its http(s) address" >&2
      echo "(seed catalog, tidytuesday or an Exportify export):" >&2
      echo "bash scripts/quickstart.sh CATALOG.csv|URL [PHOTO]" >&2
      exit 1
    fi
    ;;
esac
echo "== importing $catalog"
if ! "$ml" catalog import "$catalog" --trending --source trending; then
  echo "quickstart: the import failed (see above). Point MELODICLENS_CATALOG_URL at a reachable" >&2
  echo "catalog CSV, or pass a local one: bash scripts/quickstart.sh CATALOG.csv [PHOTO]" >&2
  exit 1
fi
if [ -f "$photo" ]; then
  echo "== songs for $photo"
  "$ml" recommend "$photo" --text "golden hour by the sea"
else
  echo "quickstart: no photo at $photo; skipping the photo answer" >&2
fi
echo "== songs for words alone"
"$ml" recommend --text "a quiet rainy evening alone, instrumental"
echo "== ready. Chat bots: cp .env.example .env, set TELEGRAM_TOKEN and/or DISCORD_TOKEN in it,"
echo "   then check with $ml doctor and start them with $ml run (see README, Connect Telegram)"
