/* sc-zxing.cpp: a C shim over zxing-cpp (Debian libzxing-dev)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <cstring>
#include <exception>

#include <ZXing/ReadBarcode.h>

extern "C" {
#include "sc-decode-private.h"
}

extern "C" char *
_sc_decode_zxing (const guint8 *grey,
                  int           width,
                  int           height,
                  int           stride,
                  gboolean      pure,
                  gsize        *len)
{
  try
    {
      ZXing::DecodeHints hints;
      ZXing::ImageView image (grey, width, height, ZXing::ImageFormat::Lum, stride);

      hints.setFormats (ZXing::BarcodeFormat::DataMatrix | ZXing::BarcodeFormat::QRCode);
      hints.setIsPure (pure != FALSE);
      hints.setTryHarder (pure == FALSE);
      hints.setTryRotate (pure == FALSE);

      auto result = ZXing::ReadBarcode (image, hints);
      if (!result.isValid ())
        return NULL;

      const ZXing::ByteArray &bytes = result.bytes ();
      *len = bytes.size ();
      return g_strndup (reinterpret_cast<const char *> (bytes.data ()), bytes.size ());
    }
  catch (const std::exception &e)
    {
      g_warning ("zxing-cpp failed: %s", e.what ());
      return NULL;
    }
}
