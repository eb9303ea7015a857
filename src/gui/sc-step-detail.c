/* sc-step-detail.c: what one step of a unit run just did, with the real data
 *
 * Read back from the records the run keeps (and the run's payloads), so
 * a trainer shows what the station actually did, not a description of it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sc-core.h"
#include "sc-step-detail.h"

static void
row_free (gpointer data)
{
  ScStepDetailRow *row = data;

  g_free (row->name);
  g_free (row->value);
  g_free (row);
}

void
sc_step_detail_free (ScStepDetail *detail)
{
  if (detail == NULL)
    return;
  g_free (detail->summary);
  g_ptr_array_unref (detail->rows);
  g_free (detail);
}

const char *
sc_step_detail_lookup (ScStepDetail *detail,
                       const char   *name)
{
  g_return_val_if_fail (detail != NULL, NULL);

  for (guint i = 0; i < detail->rows->len; i++)
    {
      ScStepDetailRow *row = g_ptr_array_index (detail->rows, i);

      if (g_str_equal (row->name, name))
        return row->value;
    }
  return NULL;
}

static void add (ScStepDetail *detail, const char *name, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
add (ScStepDetail *detail,
     const char   *name,
     const char   *format,
     ...)
{
  ScStepDetailRow *row = g_new0 (ScStepDetailRow, 1);
  va_list args;

  row->name = g_strdup (name);
  va_start (args, format);
  row->value = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (detail->rows, row);
}

static char *
format_time (const ASN1_TIME *t)
{
  g_autoptr(GDateTime) utc = NULL;
  struct tm tm;

  if (t == NULL || !ASN1_TIME_to_tm (t, &tm))
    return g_strdup ("?");
  utc = g_date_time_new_utc (tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return utc ? g_date_time_format (utc, "%Y-%m-%d %H:%M:%S UTC") : g_strdup ("?");
}

static const char *
key_origin_text (int origin)
{
  switch (origin)
    {
    case SC_KEY_ORIGIN_DEVICE:
      return _("made on the unit (KEYGEN): the private key never leaves it");
    case SC_KEY_ORIGIN_STATION:
      return _("made on the station, sent to the unit once, then wiped here");
    default:
      return _("not made yet");
    }
}

static char *
curve_text (const char *puk)
{
  g_autoptr(EVP_PKEY) key = puk ? sc_puk_decode (puk, NULL) : NULL;

  if (key != NULL && sc_key_is_p256 (key))
    return g_strdup (_("P-256 (prime256v1), a named curve"));
  return g_strdup (_("not P-256: the CSR policy refuses it"));
}

static void
add_subject (ScStepDetail *detail,
             ScStation    *station,
             const char   *serial)
{
  add (detail, _("CSR subject"), "DSN=%s, DeviceTypeId=%s", serial,
       sc_profile_get_device_type_id (station->profile));
}

static void
add_certificate (ScStepDetail *detail,
                 X509         *leaf)
{
  g_autofree char *subject = sc_x509_name_to_string (X509_get_subject_name (leaf));
  g_autofree char *issuer = sc_x509_name_to_string (X509_get_issuer_name (leaf));
  g_autofree char *serial = sc_cert_serial_hex (leaf);
  g_autofree char *not_before = format_time (X509_get0_notBefore (leaf));
  g_autofree char *not_after = format_time (X509_get0_notAfter (leaf));
  g_autofree char *key = sc_key_fingerprint (X509_get0_pubkey (leaf));
  int nid = X509_get_signature_nid (leaf);

  add (detail, _("Subject"), "%s", subject);
  add (detail, _("Issuer"), "%s", issuer);
  add (detail, _("Certificate serial"), "%s", serial);
  add (detail, _("Valid from"), "%s", not_before);
  add (detail, _("Valid until"), "%s", not_after);
  add (detail, _("Signature"), "%s", nid != NID_undef ? OBJ_nid2ln (nid) : "?");
  add (detail, _("Public key SHA-256"), "%s", key);
}

static void
add_payload (ScStepDetail *detail,
             const char   *text)
{
  g_autoptr(ScPayload) payload = sc_payload_parse (text, NULL, NULL);
  g_autofree char *shown = NULL;

  if (payload == NULL)
    return;
  add (detail, "ABV", "%s", payload->kind == SC_LABEL_KIND_PRODUCT ? _("IB01 (product label)")
                                                                    : _("OB01 (package label)"));
  if (payload->serial != NULL)
    add (detail, "SERNUM", "%s", payload->serial);
  add (detail, "PID", "%s", payload->pid);
  add (detail, "PUK", "%s", payload->puk);
  if (payload->pin != NULL)
    add (detail, "PIN", ngettext ("%u character, printed only on the product label",
                                  "%u characters, printed only on the product label", strlen (payload->pin)),
         (guint) strlen (payload->pin));
  if (payload->upc != NULL)
    add (detail, "UPC", "%s", payload->upc);
  if (payload->ean != NULL)
    add (detail, "EAN", "%s", payload->ean);

  /* The whole text, its PIN hidden. */
  shown = g_strdup (text);
  if (payload->pin != NULL)
    {
      char *pin = strstr (shown, "PIN:");

      for (char *p = pin ? pin + 4 : NULL; p != NULL && *p != '\0' && *p != ';'; p++)
        *p = '*';
    }
  add (detail, payload->kind == SC_LABEL_KIND_PRODUCT ? _("Product payload") : _("Package payload"), "%s", shown);
  sc_memwipe (shown, strlen (shown));
}

ScStepDetail *
sc_step_detail_build (ScStation   *station,
                      const char  *serial,
                      ScStep       step,
                      const char  *device_uri,
                      const char  *product_payload,
                      const char  *package_payload,
                      GError     **error)
{
  g_autoptr(ScStepDetail) detail = g_new0 (ScStepDetail, 1);
  g_autoptr(ScUnitRecord) unit = NULL;
  g_autoptr(ScCertList) chain = NULL;
  ScProfile *profile;

  g_return_val_if_fail (station != NULL, NULL);
  g_return_val_if_fail (serial != NULL, NULL);
  g_return_val_if_fail (step < SC_N_STEPS, NULL);

  profile = station->profile;
  detail->step = step;
  detail->rows = g_ptr_array_new_with_free_func (row_free);

  unit = sc_store_find_unit (station->store, sc_profile_get_device_type_id (profile), serial, error);
  if (unit == NULL)
    return NULL;
  if (unit->chain_pem != NULL)
    chain = sc_certs_load_pem (unit->chain_pem, strlen (unit->chain_pem), NULL);

  switch (step)
    {
    case SC_STEP_SCAN:
      detail->summary = g_strdup (_("The serial fits the product’s serial pattern, and the unit’s record is "
                                    "open: every later step is journaled in it."));
      add (detail, _("Serial"), "%s", serial);
      add (detail, _("Product"), _("DeviceTypeId %s, PID %s"), unit->product, unit->pid);
      {
        g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, unit->id);

        /* Translators: a unit's record number, then its state */
        add (detail, _("Record"), _("unit #%s, %s"), id, sc_unit_state_to_display (unit->state));
      }
      add (detail, _("Station"), _("%s, operator %s"), unit->station, unit->operator_name);
      break;

    case SC_STEP_CONNECT:
      detail->summary = g_strdup (_("The fixture answered HELLO as the unit that was scanned."));
      add (detail, _("Device address"), "%s", device_uri);
      add (detail, _("Unit serial"), "%s", serial);
      break;

    case SC_STEP_KEY:
      {
        g_autofree char *curve = curve_text (unit->puk);

        detail->summary = g_strdup (unit->key_origin == SC_KEY_ORIGIN_STATION
                                    ? _("The station made a P-256 key for the unit and a CSR for it.")
                                    : _("The unit made its own P-256 key and returned a CSR for it."));
        add (detail, _("Key"), "%s", key_origin_text (unit->key_origin));
        add_subject (detail, station, serial);
        add (detail, _("Curve"), "%s", curve);
        add (detail, _("Public key SHA-256"), "%s", unit->public_key_sha256 ? unit->public_key_sha256 : "?");
        add (detail, "PUK", "%s", unit->puk ? unit->puk : _("none (not a P-256 key)"));
      }
      break;

    case SC_STEP_POLICY:
      {
        g_autofree char *curve = curve_text (unit->puk);

        detail->summary = g_strdup (_("The CSR passed every rule of the CSR policy before the DAK saw it."));
        add_subject (detail, station, serial);
        add (detail, _("Subject rules"), "%s", _("exactly DSN and DeviceTypeId, one attribute per RDN, "
                                                "printable characters, at most 64 bytes each"));
        add (detail, _("Curve"), "%s", curve);
        add (detail, _("Size"), "%s", _("at most 4 KiB; the CSR’s own signature verifies"));
      }
      break;

    case SC_STEP_SIGN:
      detail->summary = g_strdup (_("The DAK signed the unit’s certificate (its DHA certificate), valid for "
                                    "five years."));
      if (chain != NULL && sk_X509_num (chain) > 0)
        add_certificate (detail, sk_X509_value (chain, 0));
      add (detail, _("DAK"), _("%s DAK, certificate SHA-256 %s"), sc_dak_get_dak_type (station->dak),
           unit->dak ? unit->dak : "?");
      break;

    case SC_STEP_CHAIN:
      {
        g_autofree char *anchor = sc_x509_name_to_string (X509_get_subject_name (sc_dak_get_trust_anchor (station->dak)));
        int n = chain ? sk_X509_num (chain) : 0;

        detail->summary = g_strdup (_("The whole chain verifies, certificate by certificate, to the product’s "
                                      "trust anchor, and names this product and this unit."));
        for (int i = 0; i < n; i++)
          {
            g_autofree char *name = NULL;
            g_autofree char *subject = sc_x509_name_to_string (X509_get_subject_name (sk_X509_value (chain, i)));

            if (i == 0)
              name = g_strdup (_("1: the unit"));
            else if (i == 1)
              name = g_strdup (_("2: the DAK"));
            else
              /* Translators: a certificate's place in the chain */
              name = g_strdup_printf (_("%d: a CA"), i + 1);
            add (detail, name, "%s", subject);
          }
        add (detail, _("Trust anchor"), "%s", anchor);
      }
      break;

    case SC_STEP_WRITE:
      {
        g_autofree char *sha = unit->chain_pem ? g_compute_checksum_for_string (G_CHECKSUM_SHA256, unit->chain_pem, -1)
                                               : NULL;
        guint pin_length = sc_profile_get_pin_length (profile);

        detail->summary = g_strdup (_("Written to the unit and committed in one step: a power cut leaves the old "
                                      "material or the new, never a mix."));
        add (detail, _("Certificate chain"), ngettext ("%d certificate, %zu bytes of PEM, SHA-256 %s",
                                                       "%d certificates, %zu bytes of PEM, SHA-256 %s",
                                                       chain ? sk_X509_num (chain) : 0),
             chain ? sk_X509_num (chain) : 0, unit->chain_pem ? strlen (unit->chain_pem) : 0, sha ? sha : "?");
        add (detail, _("Setup PIN"), ngettext ("%u character, sealed in the records before it was sent",
                                               "%u characters, sealed in the records before they were sent",
                                               pin_length), pin_length);
        add (detail, _("Private key"), "%s", key_origin_text (unit->key_origin));
        add (detail, _("Record"), "%s", sc_unit_state_to_display (unit->state));
      }
      break;

    case SC_STEP_READ_BACK:
      {
        g_autofree char *sha = unit->chain_pem ? g_compute_checksum_for_string (G_CHECKSUM_SHA256, unit->chain_pem, -1)
                                               : NULL;

        detail->summary = g_strdup (_("The unit read back what it holds, and it is exactly what was written."));
        add (detail, _("Public key SHA-256"), "%s", unit->public_key_sha256 ? unit->public_key_sha256 : "?");
        add (detail, _("Chain SHA-256"), "%s", sha ? sha : "?");
        add (detail, _("Setup PIN"), "%s", _("its SHA-256 matches the PIN written"));
      }
      break;

    case SC_STEP_CHALLENGE:
      detail->summary = g_strdup (_("The unit signed a fresh random challenge with its stored key, and the "
                                    "signature verifies with the certificate’s public key."));
      add (detail, _("Public key SHA-256"), "%s", unit->public_key_sha256 ? unit->public_key_sha256 : "?");
      add (detail, _("Record"), "%s", sc_unit_state_to_display (unit->state));
      break;

    case SC_STEP_LABEL:
      detail->summary = g_strdup (_("The labels’ payloads, key by key. Each symbol was rendered and decoded back "
                                    "by two decoders before anything is printed."));
      if (product_payload != NULL)
        add_payload (detail, product_payload);
      if (package_payload != NULL)
        add_payload (detail, package_payload);
      break;

    case SC_STEP_PRINT:
      {
        g_autoptr(GPtrArray) prints = sc_store_list_prints (station->store, unit->id, error);
        g_autofree char *printer = sc_printer_describe (station->printer);

        if (prints == NULL)
          return NULL;
        detail->summary = g_strdup (_("The labels went to the printer; each print is journaled before it is "
                                      "sent and after."));
        add (detail, _("Printer"), "%s", printer);
        for (guint i = 0; i < prints->len; i++)
          {
            ScPrintRecord *p = g_ptr_array_index (prints, i);

            add (detail, p->kind == SC_LABEL_KIND_PRODUCT ? _("Product label") : _("Package label"), "%s",
                 p->status == SC_PRINT_DONE ? _("printed") :
                 p->status == SC_PRINT_FAILED ? _("not printed") : _("sent, not confirmed"));
          }
      }
      break;

    case SC_STEP_RECORD:
    default:
      detail->summary = g_strdup (_("The unit is complete in the records."));
      add (detail, _("Record"), "%s", sc_unit_state_to_display (unit->state));
      break;
    }

  return g_steal_pointer (&detail);
}
