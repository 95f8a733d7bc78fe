#!/usr/bin/env bash
# The translation catalogues (siaga/translations), in one command: scripts/i18n.sh
#   (no argument) fold + extract + update + compile: after adding or changing texts, run this, then
#                 fill the empty msgstr "" entries of siaga/translations/en/LC_MESSAGES/messages.po
#                 (tests/test_i18n.py fails while one is empty or the .pot is behind the code).
#   extract       code and templates -> siaga/translations/messages.pot (babel.cfg says where)
#   update        messages.pot -> each language's messages.po (new texts empty, removed ones dropped)
#   compile       messages.po -> messages.mo (the app also does this at start when the .mo is stale)
#   fold [files]  move old-style register_english({...}) pairs into the English .po (scripts/i18n_fold.py)
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-.venv/bin/python}"
pybabel=("$python" -m babel.messages.frontend)
dir=siaga/translations
pot="${POT:-$dir/messages.pot}"  # tests/test_i18n.py extracts to a temporary file to compare
# Python: _ gettext pgettext (Flask request texts), lazy_gettext lazy_pgettext (logistics.texts);
# plurals: ngettext npgettext lazy_ngettext lazy_npgettext, _n in templates;
# templates: _ and _p (pgettext); Jinja's {% trans %} blocks are found by the jinja2 extractor itself.
keywords=(-k _ -k gettext -k pgettext:1c,2 -k lazy_gettext -k lazy_pgettext:1c,2 -k _p:1c,2
          -k ngettext:1,2 -k npgettext:1c,2,3 -k lazy_ngettext:1,2 -k lazy_npgettext:1c,2,3 -k _n:1,2)

extract() {
  "${pybabel[@]}" -q extract -F babel.cfg "${keywords[@]}" --no-location --sort-output --omit-header \
    --width=110 -o "$pot" .
}
update() {
  "${pybabel[@]}" -q update -i "$pot" -d "$dir" --no-fuzzy-matching --ignore-obsolete \
    --width=110
}
compile() {
  "${pybabel[@]}" compile -d "$dir" --statistics
}
fold() {
  "$python" scripts/i18n_fold.py "$@"
}

case "${1:-all}" in
  extract) extract ;;
  update) update ;;
  compile) compile ;;
  fold) shift; fold "$@" ;;
  all) fold || true; extract; update; compile ;;
  *) echo "usage: $0 [extract|update|compile|fold [files]]" >&2; exit 2 ;;
esac
