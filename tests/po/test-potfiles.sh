#!/usr/bin/env bash
# po/POTFILES.in lists every file with strings to translate, sorted, and
# nothing else; every visible string in a .ui file is marked translatable.
# Prints TAP.
#
# usage: test-potfiles.sh SOURCE_ROOT
set -u
root=$1
cd "$root" || exit 99
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

grep -v '^#' po/POTFILES.in | grep . > "$work/listed"

if LC_ALL=C sort -c "$work/listed" 2>"$work/unsorted"; then
  ok "POTFILES.in is sorted"
else
  not_ok "POTFILES.in is sorted"
  sed 's/^/# /' "$work/unsorted"
fi

missing=$(while read -r f; do [ -f "$f" ] || echo "$f"; done < "$work/listed")
if [ -z "$missing" ]; then
  ok "every file POTFILES.in lists exists"
else
  not_ok "every file POTFILES.in lists exists"
  echo "$missing" | sed 's/^/# not found: /'
fi

# Files that mark strings for translation: C with _(), N_(), C_(), NC_() or
# ngettext(); templates with translatable="yes"; the desktop file, the
# metainfo and the settings schema.
{
  grep -rlE '(^|[^A-Za-z0-9_])(_|N_|C_|NC_|ngettext)[[:space:]]*\(' --include='*.c' --include='*.cpp' src
  grep -rl 'translatable="yes"' --include='*.ui' ui
  ls data/*.desktop.in data/*.metainfo.xml.in data/*.gschema.xml
} | LC_ALL=C sort -u > "$work/wanted"
unlisted=$(LC_ALL=C comm -23 "$work/wanted" <(LC_ALL=C sort -u "$work/listed"))
if [ -z "$unlisted" ]; then
  ok "POTFILES.in lists every file with strings to translate"
else
  not_ok "POTFILES.in lists every file with strings to translate"
  echo "$unlisted" | sed 's/^/# not listed: /'
fi
extra=$(LC_ALL=C comm -13 "$work/wanted" <(LC_ALL=C sort -u "$work/listed"))
if [ -z "$extra" ]; then
  ok "POTFILES.in lists no file without strings to translate"
else
  not_ok "POTFILES.in lists no file without strings to translate"
  echo "$extra" | sed 's/^/# nothing to translate: /'
fi

# A property a person reads, holding words, must be translatable. (Numbers
# and dashes, placeholders for values, need not be.)
untranslated=$(grep -nE '<(property|attribute) name="(label|title|description|placeholder-text|tooltip-text|subtitle|text|heading|body)"[^>]*>[^<]*[[:alpha:]]' ui/*.ui |
               grep -v 'translatable="yes"'
               grep -nE '<item>[^<]*[[:alpha:]]' ui/*.ui)
if [ -z "$untranslated" ]; then
  ok "every visible string in the .ui files is translatable"
else
  not_ok "every visible string in the .ui files is translatable"
  echo "$untranslated" | sed 's/^/# /'
fi

echo "1..$n"
exit $((failed > 0))
