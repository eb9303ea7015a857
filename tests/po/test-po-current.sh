#!/usr/bin/env bash
# Each translation in po/LINGUAS is current with the sources: the template
# is made afresh from the files po/POTFILES.in lists, by the very command
# the build's PKG-pot target runs (read from build.ninja, so the xgettext
# options of po/meson.build's preset are the build's own), only with the
# source root swapped for a scratch folder whose po/ is its own: nothing is
# written into po/. Then every message of that template must be in the
# catalogue, translated and not fuzzy (msgcmp), and the catalogue must hold
# no message the sources no longer have. Prints TAP.
#
# usage: test-po-current.sh SOURCE_ROOT BUILD_ROOT PKG
set -u
root=${1%/}
build=${2%/}
pkg=$3
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
finish() { echo "1..$n"; exit $((failed > 0)); }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
update="ninja -C $build $pkg-update-po, translate the messages it leaves untranslated or fuzzy, and remove their fuzzy marks"

# The messages of a catalogue, one a line as msgctxt<EOT>msgid (C escapes
# kept), the header left out.
messages() {
  msgattrib --no-wrap --no-obsolete "$@" | awk '
    function flush() { if (id != "") print (ctxt != "" ? ctxt "\004" : "") id; id = ""; ctxt = ""; cur = "" }
    /^msgctxt "/ { flush(); cur = "ctxt"; sub(/^msgctxt "/, ""); sub(/"$/, ""); ctxt = $0; next }
    /^msgid "/ { if (cur != "ctxt") flush(); cur = "id"; sub(/^msgid "/, ""); sub(/"$/, ""); id = $0; next }
    /^"/ { s = $0; sub(/^"/, "", s); sub(/"$/, "", s); if (cur == "id") id = id s; else if (cur == "ctxt") ctxt = ctxt s; next }
    { cur = "" }
    END { flush() }'
}
# Shows the first ten lines of a list of messages as TAP comments.
show() { head -10 "$1" | sed 's/\x04/ | /; s/^/#   /'; }

# The build's own command for the template (ninja writes a $ as $$).
cmd=$(grep -F -A1 "build meson-internal__$pkg-pot: CUSTOM_COMMAND" "$build/build.ninja" 2>/dev/null |
      sed -n 's/^ *COMMAND = //p' | sed 's/\$\$/$/g')
if [ -z "$cmd" ]; then
  not_ok "build.ninja in $build has the command of the $pkg-pot target"
  echo "# Set the build up with meson's ninja backend and po/meson.build's i18n.gettext()."
  finish
fi
eval "set -- $cmd"
args=()
for a in "$@"; do
  case $a in
    --source-root=*) args+=("--source-root=$work/src/") ;;
    *) args+=("$a") ;;
  esac
done

# The scratch source root: the tree's folders and files through symbolic
# links, but a po/ of its own with the template's inputs copied.
mkdir -p "$work/src/po"
for e in "$root"/* "$root"/.[!.]*; do
  [ -e "$e" ] || continue
  [ "$(basename "$e")" = po ] || ln -s "$e" "$work/src/$(basename "$e")"
done
cp "$root"/po/POTFILES* "$root/po/LINGUAS" "$work/src/po/" 2>/dev/null
pot=$work/src/po/$pkg.pot
if (cd "$work" && "${args[@]}") >"$work/err" 2>&1 && [ -s "$pot" ]; then
  ok "the template is made afresh from the sources ($(messages "$pot" | wc -l) messages)"
else
  not_ok "the template is made afresh from the sources"
  sed 's/^/# /' "$work/err" | head -20
  finish
fi
messages "$pot" | LC_ALL=C sort -u > "$work/wanted"

languages=$(grep -v '^#' "$root/po/LINGUAS" | tr -s ' \n' '\n' | grep .)
for lang in $languages; do
  file=$root/po/$lang.po
  if [ ! -f "$file" ]; then
    not_ok "$lang: $lang.po exists"
    continue
  fi
  # msgcmp counts a fuzzy or untranslated message as missing.
  if msgcmp "$file" "$pot" >"$work/err" 2>&1; then
    ok "$lang: every message of the sources is translated, none fuzzy"
  else
    # The same list, by message: merged as update-po would merge it.
    msgmerge --quiet --no-fuzzy-matching -o "$work/$lang.po" "$file" "$pot" 2>/dev/null
    { messages --untranslated "$work/$lang.po"; messages --only-fuzzy "$work/$lang.po"; } |
      LC_ALL=C sort -u > "$work/missing"
    not_ok "$lang: every message of the sources is translated, none fuzzy ($(wc -l < "$work/missing") missing, untranslated or fuzzy)"
    show "$work/missing"
    [ -s "$work/missing" ] || sed 's/^/# /' "$work/err" | head -10
    echo "# To update the catalogues: $update."
  fi
  messages "$file" | LC_ALL=C sort -u > "$work/have"
  LC_ALL=C comm -13 "$work/wanted" "$work/have" > "$work/stale"
  if [ ! -s "$work/stale" ]; then
    ok "$lang: no message the sources no longer have"
  else
    not_ok "$lang: no message the sources no longer have ($(wc -l < "$work/stale"))"
    show "$work/stale"
    echo "# To update the catalogues: ninja -C $build $pkg-update-po (it marks these obsolete)."
  fi
done

finish
