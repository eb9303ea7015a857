// Renders a ZPL file to PNG with zpl-renderer-js (an independent ZPL
// renderer from the npm registry, run offline).
// usage: node zpl-render.cjs LABEL.zpl OUT.png WIDTH_MM HEIGHT_MM DOTS_PER_MM
"use strict";
const fs = require("node:fs");
const { ready } = require("zpl-renderer-js");

(async () => {
  const [zplPath, pngPath, widthMm, heightMm, dpmm] = process.argv.slice(2);
  const { api } = await ready;
  const zpl = fs.readFileSync(zplPath, "latin1");
  const png = await api.zplToBase64Async(zpl, Number(widthMm), Number(heightMm), Number(dpmm));
  fs.writeFileSync(pngPath, Buffer.from(png, "base64"));
})().catch((e) => {
  console.error(`zpl-render: ${e}`);
  process.exit(1);
});
