/* sc-decode.c: libdmtx decoding
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <dmtx.h>

#include "sc-decode-private.h"

char *
_sc_decode_libdmtx (const guint8 *grey,
                    int           width,
                    int           height,
                    int           stride,
                    int           modules,
                    int           dots_per_module,
                    gsize        *len)
{
  DmtxImage *img;
  DmtxDecode *dec;
  DmtxRegion *reg;
  DmtxMessage *msg = NULL;
  DmtxTime timeout;
  char *ret = NULL;

  img = dmtxImageCreate ((unsigned char *) grey, width, height, DmtxPack8bppK);
  if (img == NULL)
    return NULL;
  dmtxImageSetProp (img, DmtxPropRowPadBytes, stride - width);
  dmtxImageSetProp (img, DmtxPropImageFlip, DmtxFlipNone);

  dec = dmtxDecodeCreate (img, 1);
  if (modules > 0 && dots_per_module > 0)
    {
      int side = modules * dots_per_module;

      /* Our own raster: an upright symbol of known size. */
      dmtxDecodeSetProp (dec, DmtxPropEdgeMin, side * 9 / 10);
      dmtxDecodeSetProp (dec, DmtxPropEdgeMax, side * 11 / 10 + 2);
      dmtxDecodeSetProp (dec, DmtxPropSquareDevn, 10);
      dmtxDecodeSetProp (dec, DmtxPropScanGap, MAX (1, dots_per_module));
      for (int i = DmtxSymbol10x10; i <= DmtxSymbol144x144; i++)
        if (dmtxGetSymbolAttribute (DmtxSymAttribSymbolRows, i) == modules)
          dmtxDecodeSetProp (dec, DmtxPropSymbolSize, i);
    }

  timeout = dmtxTimeAdd (dmtxTimeNow (), 2000);
  reg = dmtxRegionFindNext (dec, &timeout);
  if (reg != NULL)
    {
      msg = dmtxDecodeMatrixRegion (dec, reg, DmtxUndefined);
      if (msg != NULL)
        {
          *len = msg->outputIdx;
          ret = g_strndup ((const char *) msg->output, msg->outputIdx);
          dmtxMessageDestroy (&msg);
        }
      dmtxRegionDestroy (&reg);
    }

  dmtxDecodeDestroy (&dec);
  dmtxImageDestroy (&img);
  return ret;
}
