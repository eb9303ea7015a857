#!/usr/bin/env bash
# Every output format, read back by tools nobody here wrote: dmtxread on the
# PNG, pdftoppm and rsvg-convert rasterising PDF and SVG at true size, and an
# independent ZPL renderer (zpl-renderer-js) for both ZPL variants; the
# result must decode, with zxing-cpp and libdmtx, to exactly the payload.
#
# usage: test-label-formats.sh CLI ZPL_RENDER_SCRIPT      (prints TAP)
set -u

cli=$1
zpl_render=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_DATA_HOME=$work/xdg

source "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

# The width field of a PNG's IHDR chunk.
png_width() { od -An -tu1 -j16 -N4 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }'; }

puk=MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgADLZXG+MzHkCUT1F88yQpaiDW7vu8XDSIhJwsVr2bmmag=
product="ABV:IB01;SERNUM:G3A0PA01802300PE;PID:ebK3;PUK:$puk;PIN:957AD9640;"
package="ABV:OB01;SERNUM:G3A0PA01802300PE;PID:ebK3;PUK:$puk;UPC:841667145075;"
"$cli" dak init-training "$work/dak" > /dev/null
profile=$work/dak/product.profile

if ! node -e 'require("zpl-renderer-js")' 2>/dev/null; then
  not_ok "zpl-renderer-js is not installed (build-aux/dev test installs it and sets NODE_PATH)"
fi

for kind in product package; do
  payload=${!kind}
  for dpi in 203 300 600; do
    dpmm=$(( (dpi * 10 + 127) / 254 ))   # the renderer's dots per mm: 8, 12, 24
    base=$work/$kind-$dpi

    # PNG, read by dmtxread (libdmtx's own command line) and by verify-label.
    expect_status "$kind $dpi dpi: label writes a PNG" 0 \
      "$cli" label --profile "$profile" --payload "$payload" --dpi "$dpi" --format png -o "$base.png"
    size=$(sed -n 's/^Label: .*, \([0-9]*\) x \([0-9]*\) dots.*/\1 \2/p' "$work/stdout")
    w=${size% *}; h=${size#* }
    check "$kind $dpi dpi: dmtxread reads the PNG back to the payload" \
      test "$(dmtxread -n -N 1 "$base.png")" = "$payload"
    check "$kind $dpi dpi: verify-label decodes the PNG to the payload" \
      "$cli" verify-label --expect "$payload" "$base.png"

    # PDF at true size, rasterised by poppler.
    expect_status "$kind $dpi dpi: label writes a PDF" 0 \
      "$cli" label --profile "$profile" --payload "$payload" --dpi "$dpi" --format pdf -o "$base.pdf"
    pts=$(pdfinfo "$base.pdf" | sed -n 's/^Page size: *\([0-9.]*\) x \([0-9.]*\) pts.*/\1 \2/p')
    check "$kind $dpi dpi: the PDF page is the label's true size ($w x $h dots)" \
      awk -v p="$pts" -v w="$w" -v h="$h" -v d="$dpi" 'BEGIN { split(p, a, " "); exit !((a[1] - w * 72 / d) ^ 2 < 0.01 && (a[2] - h * 72 / d) ^ 2 < 0.01) }'
    pdftoppm -r "$dpi" -png -singlefile "$base.pdf" "$base-pdf"
    check "$kind $dpi dpi: the PDF rasterised by pdftoppm decodes to the payload" \
      "$cli" verify-label --expect "$payload" "$base-pdf.png"

    # SVG at true size, rasterised by librsvg's rsvg-convert.
    expect_status "$kind $dpi dpi: label writes an SVG" 0 \
      "$cli" label --profile "$profile" --payload "$payload" --dpi "$dpi" --format svg -o "$base.svg"
    check "$kind $dpi dpi: the SVG is sized in millimetres" \
      grep -q "width=\"[0-9.]*mm\"" "$base.svg"
    rsvg-convert --dpi-x "$dpi" --dpi-y "$dpi" -o "$base-svg.png" "$base.svg"
    # rsvg-convert rounds the page up to whole pixels: within one dot.
    sw=$(png_width "$base-svg.png")
    check "$kind $dpi dpi: the SVG rasterised by rsvg-convert is $w dots wide (got $sw)" \
      test "$sw" -ge "$w" -a "$sw" -le $((w + 1))
    check "$kind $dpi dpi: the SVG rasterised decodes to the payload" \
      "$cli" verify-label --expect "$payload" "$base-svg.png"

    # ZPL, both variants, drawn by the independent renderer.
    for format in zpl zpl-bitmap; do
      expect_status "$kind $dpi dpi: label writes $format" 0 \
        "$cli" label --profile "$profile" --payload "$payload" --dpi "$dpi" --format "$format" -o "$base.$format"
      wmm=$(awk -v w="$w" -v d="$dpmm" 'BEGIN { print w / d + 1 }')
      hmm=$(awk -v h="$h" -v d="$dpmm" 'BEGIN { print h / d + 1 }')
      check "$kind $dpi dpi: zpl-renderer-js renders the $format" \
        node "$zpl_render" "$base.$format" "$base-$format.png" "$wmm" "$hmm" "$dpmm"
      check "$kind $dpi dpi: the $format rendering decodes to the payload" \
        "$cli" verify-label --expect "$payload" "$base-$format.png"
    done
  done
done

check "the native ZPL uses ^BX at the geometry's dots per module" \
  grep -q '\^BXN,3,200,44,44,6,~,1\^FD' "$work/product-300.zpl"
check "the product label file is private (it carries the PIN)" \
  test "$(stat -c %a "$work/product-300.png")" = 600

# Failures: clear error, no file.
sed 's/^\[label\]$/[label]\nsymbol-size=36x36/' "$profile" > "$work/dak/forced36.profile"
expect_status "a forced 36x36 symbol cannot hold a real payload" 3 \
  "$cli" label --profile "$work/dak/forced36.profile" --payload "$product" -o "$work/f36.png"
check "the error says what size it needs" grep -q "choose 44x44" "$work/stderr"
check "and no file was written" test ! -e "$work/f36.png"
expect_status "an empty payload is bad input" 3 "$cli" label --profile "$profile" --payload "" -o "$work/e.png"
expect_status "a payload breaking a rule is bad input" 3 \
  "$cli" label --profile "$profile" --payload "${product/PID:ebK3/PID:ebK}" -o "$work/bad.png"
check "the error names the key" grep -q "PID: must be exactly 4" "$work/stderr"
check "and no file was written" test ! -e "$work/bad.png"
expect_status "--kind package with a product payload is bad input" 3 \
  "$cli" label --profile "$profile" --payload "$product" --kind package -o "$work/k.png"
expect_status "an unknown format is a usage error" 2 \
  "$cli" label --profile "$profile" --payload "$product" --format gif -o "$work/g.gif"
expect_status "verify-label on a PNG of another payload fails" 7 \
  "$cli" verify-label --expect "$package" "$work/product-300.png"
printf 'not a png' > "$work/junk.png"
expect_status "verify-label on a file that is not a PNG is bad input" 3 "$cli" verify-label "$work/junk.png"
expect_status "verify-label does not print the PIN unless asked" 0 "$cli" verify-label "$work/product-300.png"
check "the PIN is not in its output" bash -c "! grep -q 957AD9640 '$work/stdout'"

tap_finish
