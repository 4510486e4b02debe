#!/usr/bin/env bash
# The answers' message catalogs (gettext, managed with Babel; docs/i18n.md):
#
#   bash scripts/i18n.sh extract   # regenerate handlers/locales/melodiclens.pot from the text layer
#   bash scripts/i18n.sh update    # extract, then merge the template into every language's .po
#   bash scripts/i18n.sh init CODE # start a new language's .po (then add CODE to handlers/i18n.py)
#
# The text layer marks sentences with N_() (deferred), glossary words with C_(context, word),
# plurals with counted()/counted_in(); translator notes are "# NOTE:" comments above a sentence.
# Nothing is compiled here: handlers/i18n.py compiles each .po in memory on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
LOCALES=handlers/locales
POT=$LOCALES/melodiclens.pot
LANGUAGES="es pt_BR de fr vi hi"

extract() {
  "$PYBABEL" extract -F babel.cfg -o "$POT" \
    -k N_ -k C_:1c,2 -k counted:2,3 -k counted_in:2c,3,4 \
    --add-comments NOTE: --no-location --sort-output --no-wrap --omit-header \
    --project MelodicLens --msgid-bugs-address "" .
}

update() {
  extract
  for code in $LANGUAGES; do
    po=$LOCALES/$code/LC_MESSAGES/melodiclens.po
    if [ -f "$po" ]; then
      "$PYBABEL" update -i "$POT" -d "$LOCALES" -D melodiclens -l "$code" --no-wrap \
        --no-fuzzy-matching --ignore-obsolete
    else
      init "$code"
    fi
  done
}

init() {
  "$PYBABEL" init -i "$POT" -d "$LOCALES" -D melodiclens -l "$1" --no-wrap
  # Babel's header names a placeholder project; this one is MelodicLens.
  sed -i.bak -e 's/PROJECT VERSION/MelodicLens/; s/the PROJECT project/MelodicLens/' \
    -e 's/ for PROJECT\./ for MelodicLens./' "$LOCALES/$1/LC_MESSAGES/melodiclens.po"
  rm -f "$LOCALES/$1/LC_MESSAGES/melodiclens.po.bak"
}

case "${1:-}" in
  extract) extract ;;
  update) update ;;
  init) init "${2:?a language code}" ;;
  *) echo "usage: $0 extract|update|init CODE" >&2; exit 2 ;;
esac
