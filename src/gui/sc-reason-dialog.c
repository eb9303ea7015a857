/* sc-reason-dialog.c: asking why a label is printed again
 *
 * The Units view's reprints and the Provision view's label whose print
 * broke off ask the same question: a reason from a list, and words of
 * one's own, recorded with the print.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "sc-reason-dialog.h"

typedef struct
{
  const char * const *reasons;
  guint               n_reasons;
  char               *accept;
  GtkDropDown        *list;
  GtkEditable        *details;
} ReasonDialog;

static void
reason_dialog_free (gpointer data)
{
  ReasonDialog *r = data;

  g_free (r->accept);
  g_free (r);
}

static ReasonDialog *
get (GtkWidget *dialog)
{
  ReasonDialog *r = g_object_get_data (G_OBJECT (dialog), "sc-reason-dialog");

  g_assert (r != NULL);
  return r;
}

/* "Other" needs words of one's own. */
static void
update_cb (GtkWidget *dialog)
{
  ReasonDialog *r = get (dialog);
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (r->details)));

  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), r->accept,
                                           gtk_drop_down_get_selected (r->list) != r->n_reasons - 1 ||
                                           *text != '\0');
}

GtkWidget *
_sc_reason_dialog_new (GtkWidget          *parent,
                       const char         *heading,
                       const char         *body,
                       const char         *accept,
                       const char         *accept_label,
                       const char * const *reasons,
                       guint               n_reasons)
{
  GtkRoot *root = parent ? gtk_widget_get_root (parent) : NULL;
  g_autofree const char **names = g_new0 (const char *, n_reasons + 1);
  ReasonDialog *r = g_new0 (ReasonDialog, 1);
  GtkWidget *dialog, *box, *label;

  g_return_val_if_fail (n_reasons > 0, NULL);

  for (guint i = 0; i < n_reasons; i++)
    names[i] = _(reasons[i]);

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), accept, accept_label,
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), accept, ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), accept);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  label = gtk_label_new_with_mnemonic (_("R_eason"));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  r->list = GTK_DROP_DOWN (gtk_drop_down_new_from_strings (names));
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), GTK_WIDGET (r->list));
  r->details = GTK_EDITABLE (gtk_entry_new ());
  gtk_entry_set_placeholder_text (GTK_ENTRY (r->details), _("What happened (needed for Other)"));
  gtk_entry_set_activates_default (GTK_ENTRY (r->details), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (r->details), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Details"), -1);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (r->list));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (r->details));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);

  r->reasons = reasons;
  r->n_reasons = n_reasons;
  r->accept = g_strdup (accept);
  g_object_set_data_full (G_OBJECT (dialog), "sc-reason-dialog", r, reason_dialog_free);
  g_signal_connect_swapped (r->list, "notify::selected", G_CALLBACK (update_cb), dialog);
  g_signal_connect_swapped (r->details, "changed", G_CALLBACK (update_cb), dialog);
  return dialog;
}

char *
_sc_reason_dialog_get_reason (GtkWidget *dialog)
{
  ReasonDialog *r = get (dialog);
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (r->details)));
  guint chosen = MIN (gtk_drop_down_get_selected (r->list), r->n_reasons - 1);

  if (*text == '\0')
    return g_strdup (r->reasons[chosen]);
  /* Recorded as "Smudged: coffee on the label" */
  return g_strdup_printf ("%s: %s", r->reasons[chosen], text);
}

void
_sc_reason_dialog_present (GtkWidget *dialog)
{
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_window_set_focus (GTK_WINDOW (dialog), GTK_WIDGET (get (dialog)->details));
}
