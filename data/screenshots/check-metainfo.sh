#!/usr/bin/env bash
# Every screenshot the metainfo names is in this folder (by the URL's file
# name), is a PNG, and has the width and height the metainfo gives. Prints TAP.
#
# usage: check-metainfo.sh METAINFO SCREENSHOT_DIR
set -u
metainfo=$1
dir=$2
n=0
failed=0
while read -r width height url; do
  n=$((n + 1))
  file=$dir/$(basename "$url")
  size=$(identify -format '%m %wx%h' "$file" 2>/dev/null)
  if [ "$size" = "PNG ${width}x${height}" ]; then
    echo "ok $n - $(basename "$url") is a ${width}x${height} PNG"
  else
    failed=$((failed + 1))
    echo "not ok $n - $(basename "$url") is a ${width}x${height} PNG (found: ${size:-no such file})"
  fi
done < <(sed -n 's|.*<image type="source" width="\([0-9]*\)" height="\([0-9]*\)">\([^<]*\)</image>.*|\1 \2 \3|p' "$metainfo")
if [ $n = 0 ]; then
  echo "not ok 1 - the metainfo names screenshots"
  n=1
  failed=1
fi
echo "1..$n"
exit $((failed > 0))
