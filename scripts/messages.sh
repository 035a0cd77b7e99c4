#!/usr/bin/env bash
# Extracts the pages' messages (babel.cfg: web's Python, templates and scripts, and the
# words of the domains that word what they keep when it is read: notifications' notices,
# tracking's scans and carriers, and the mail accounts sends) and brings each catalogue up
# to date:   make messages
# New msgids arrive untranslated in locale/en (test_catalogues fails until they are
# translated); msgids no longer used are dropped. The zh_CN catalogue is the source
# language's: its msgstrs stay empty (the msgid is the text).
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
LOCALE_DIR=src/liveshop/web/locale

"$PYBABEL" extract -F babel.cfg --add-location=file --sort-by-file --no-wrap --omit-header \
    --project LiveShop -o "$LOCALE_DIR/messages.pot" src/liveshop/web \
    src/liveshop/notifications src/liveshop/tracking src/liveshop/accounts
for locale in zh_CN en; do
    "$PYBABEL" update -i "$LOCALE_DIR/messages.pot" -d "$LOCALE_DIR" -l "$locale" \
        --init-missing --ignore-obsolete --no-fuzzy-matching --no-wrap
done
