#!/usr/bin/env bash
# Each translation in po/LINGUAS compiles with msgfmt --check (format
# strings, plural forms, header, mnemonics: accelerator marks kept) and is
# complete: no fuzzy and no untranslated message. Prints TAP.
#
# usage: test-po-files.sh PO_DIR
set -u
po=$1
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

languages=$(grep -v '^#' "$po/LINGUAS" | tr -s ' \n' '\n' | grep .)
if [ -n "$languages" ]; then
  ok "LINGUAS names the translations: $(echo $languages)"
else
  not_ok "LINGUAS names the translations"
fi

for lang in $languages; do
  file=$po/$lang.po
  if [ ! -f "$file" ]; then
    not_ok "$lang: $lang.po exists"
    continue
  fi
  if LC_ALL=C msgfmt --check --check-accelerators=_ -o /dev/null "$file" 2>"$work/err"; then
    ok "$lang: msgfmt --check passes"
  else
    not_ok "$lang: msgfmt --check passes"
    sed 's/^/# /' "$work/err"
  fi
  fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$file" 2>/dev/null | grep -c '^msgid ')
  untranslated=$(msgattrib --untranslated --no-obsolete "$file" 2>/dev/null | grep -c '^msgid ')
  # The header is an entry of its own (msgid ""), in either list when it is.
  fuzzy=$((fuzzy > 0 ? fuzzy - 1 : 0))
  untranslated=$((untranslated > 0 ? untranslated - 1 : 0))
  if [ "$fuzzy" = 0 ]; then ok "$lang: no fuzzy message"; else not_ok "$lang: no fuzzy message ($fuzzy)"; fi
  if [ "$untranslated" = 0 ]; then
    ok "$lang: no untranslated message"
  else
    not_ok "$lang: no untranslated message ($untranslated)"
    msgattrib --untranslated --no-obsolete "$file" | grep '^msgid ' | sed -n '2,11s/^/# /p'
  fi
done

echo "1..$n"
exit $((failed > 0))
