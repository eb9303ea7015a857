/* sc-label-print-operation.c: a label reprinted through the GTK print dialog, on any printer
 *
 * The print dialog is QA's way to any printer at hand: an office printer, a
 * label printer behind a CUPS queue of any kind. GTK hands its backends a
 * PDF or PostScript page (72 units an inch on Unix) that the printer's
 * driver rasterises at the resolution the print settings name, so the label
 * is laid out for that resolution and placed on whole printer dots: a
 * DataMatrix module is then a whole number of the printer's dots, as on the
 * line's own label printer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "sc-label-print-operation.h"

/* What the records call this printer: the same in every language. */
#define PRINTER_PREFIX "GTK print dialog: "
/* The paper the label gets unless another is chosen in the dialog. */
#define LABEL_PAPER "setup-console-label"

struct _ScLabelPrintOperation
{
  GtkPrintOperation parent_instance;

  ScProfile        *profile;
  ScLabelLayout    *label;          /* as the profile lays it out */
  char             *serial_line;
  gboolean          training;
  ScStore          *store;
  gint64            unit_id;
  char             *reason;
  char             *operator_name;

  GCancellable     *cancellable;
  guint             dpi;            /* the printer's: what the label is laid out for */
  char             *printer;        /* as recorded */
  ScLabelLayout    *layout;         /* what is drawn, verified */
  gint64            print_id;       /* the reprint journaled; 0 until then */
  GError           *error;          /* why it cannot be printed */
  gboolean          preparing;
  gboolean          prepared;
  gboolean          drawn;
  gboolean          done;
  GtkPrintOperationResult result;
  gboolean          recording;
  gboolean          finished;
};

enum { SIGNAL_FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ScLabelPrintOperation, sc_label_print_operation, GTK_TYPE_PRINT_OPERATION)

static void
finish (ScLabelPrintOperation *self,
        gboolean               printed,
        const char            *message)
{
  if (self->finished)
    return;
  self->finished = TRUE;
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0, printed, message);
}

/* ------------------------------------------------------------ the outcome */

typedef struct
{
  ScStore       *store;
  gint64         print_id;
  ScPrintStatus  status;
  char          *reason;     /* recorded with a print that did not take */
  char          *message;    /* the sentence for the person */
} RecordJob;

static void
record_job_free (gpointer data)
{
  RecordJob *job = data;

  g_clear_object (&job->store);
  g_free (job->reason);
  g_free (job->message);
  g_free (job);
}

static void
record_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  RecordJob *job = task_data;
  GError *error = NULL;

  if (!sc_store_end_print (job->store, job->print_id, job->status, job->reason, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
record_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  ScLabelPrintOperation *self = SC_LABEL_PRINT_OPERATION (object);
  RecordJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    message = job->status == SC_PRINT_DONE
              ? g_strdup_printf (_("The label was printed, but the records could not say so; they show the reprint "
                                   "as pending: %s"), error->message)
              : g_strdup_printf (_("%s The records could not say so either: %s"), job->message, error->message);
  finish (self, message == NULL && job->status == SC_PRINT_DONE, message ? message : job->message);
}

/* How the print ended, into the records (in a worker thread); then the
 * page hears of it. */
static void
record (ScLabelPrintOperation *self,
        ScPrintStatus          status,
        const char            *reason,
        char                  *message)  /* transfer full */
{
  g_autoptr(GTask) task = NULL;
  RecordJob *job;

  if (self->recording)
    {
      g_free (message);
      return;
    }
  self->recording = TRUE;

  job = g_new0 (RecordJob, 1);
  job->store = g_object_ref (self->store);
  job->print_id = self->print_id;
  job->status = status;
  job->reason = g_strdup (reason);
  job->message = message;

  /* Not cancelled with the operation: a journaled print always ends in the
   * records. */
  task = g_task_new (self, NULL, record_done_cb, NULL);
  g_task_set_source_tag (task, record);
  g_task_set_task_data (task, job, record_job_free);
  g_task_run_in_thread (task, record_thread);
}

/* A print that was journaled and did not go through: if anything was drawn
 * for the printer, a label may exist. */
static void
record_not_printed (ScLabelPrintOperation *self,
                    const char            *why)
{
  if (self->drawn)
    record (self, SC_PRINT_PENDING, why,
            g_strdup_printf (_("The label was sent to %s, then: %s. Whether it came out is not known: check the "
                               "printer, destroy any copy, and reprint it with a reason."), self->printer, why));
  else
    record (self, SC_PRINT_FAILED, why,
            g_strdup_printf (_("The label was not printed on %s: %s; nothing was sent."), self->printer, why));
}

static void
record_from_status (ScLabelPrintOperation *self)
{
  GtkPrintOperation *op = GTK_PRINT_OPERATION (self);

  if (gtk_print_operation_get_status (op) == GTK_PRINT_STATUS_FINISHED)
    record (self, SC_PRINT_DONE, NULL, NULL);
  else
    record_not_printed (self, gtk_print_operation_get_status_string (op));
}

/* --------------------------------------------------------- before drawing */

typedef struct
{
  ScProfile     *profile;
  ScLabelLayout *label;
  char          *serial_line;
  gboolean       training;
  ScStore       *store;
  gint64         unit_id;
  char          *reason;
  char          *printer;
  char          *operator_name;
  guint          dpi;
  /* out */
  ScLabelLayout *layout;
  gint64         print_id;
} PrepareJob;

static void
prepare_job_free (gpointer data)
{
  PrepareJob *job = data;

  g_clear_object (&job->profile);
  g_clear_object (&job->label);
  g_free (job->serial_line);
  g_clear_object (&job->store);
  g_free (job->reason);
  g_free (job->printer);
  g_free (job->operator_name);
  g_clear_object (&job->layout);
  g_free (job);
}

/* The label for a printer of @dpi: itself when every one of its dots is a
 * whole number of the printer's; otherwise laid out again with modules of
 * the nearest whole number of printer dots that still meets the minimum. */
static ScLabelLayout *
layout_for_dpi (PrepareJob  *job,
                GError     **error)
{
  const ScLabelSettings *settings = sc_profile_get_label_settings (job->profile);
  const ScGeometry *g = sc_label_layout_get_geometry (job->label);
  ScLabelKind kind = sc_label_layout_get_kind (job->label);
  ScGeometry minimum;
  guint dots;

  if (job->dpi % g->dpi == 0)
    return g_object_ref (job->label);

  sc_geometry_compute (g->modules, job->dpi, g->min_mm, &minimum);
  dots = MAX ((guint) lround (g->module_mm * job->dpi / 25.4), minimum.dots_per_module);
  /* sc_geometry_compute() takes the fewest dots per module reaching this:
   * exactly @dots. */
  return sc_label_layout_new (kind, sc_label_layout_get_symbol (job->label), job->dpi,
                              (dots - 0.5) * g->modules * 25.4 / job->dpi, settings->icon_path, job->serial_line,
                              kind == SC_LABEL_KIND_PACKAGE ? settings->package_code : NULL, job->training, error);
}

static void
prepare_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  PrepareJob *job = task_data;
  cairo_surface_t *raster;
  GError *error = NULL;
  gboolean ok;

  job->layout = layout_for_dpi (job, &error);
  if (job->layout == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* Decoded back like every label, as it will be drawn. */
  raster = sc_label_layout_render (job->layout);
  ok = sc_label_layout_verify (job->layout, raster, &error);
  cairo_surface_destroy (raster);
  if (!ok)
    {
      g_task_return_error (task, error);
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;
  /* Journaled before anything leaves: a crash from here on shows as a
   * pending reprint, never as a label nobody accounts for. */
  job->print_id = sc_store_begin_print (job->store, job->unit_id, sc_label_layout_get_kind (job->layout), TRUE,
                                        job->reason, job->printer, job->operator_name, &error);
  if (job->print_id <= 0)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
prepare_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  ScLabelPrintOperation *self = SC_LABEL_PRINT_OPERATION (object);
  PrepareJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  self->preparing = FALSE;
  self->prepared = TRUE;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      self->error = g_steal_pointer (&error);
      if (self->done)
        finish (self, FALSE, self->error->message);
      return;
    }
  self->layout = g_steal_pointer (&job->layout);
  self->print_id = job->print_id;

  /* The run ended meanwhile (cancelled from its progress): nothing drawn. */
  if (self->done)
    record_not_printed (self, _("cancelled before the label was drawn"));
}

/* The resolution the printer rasterises at. A raster surface has its own
 * pixels; the vector page GTK makes on Unix (72 units an inch) is
 * rasterised at what the print settings name; without a name, the label's
 * own resolution. */
static guint
printer_dpi (ScLabelPrintOperation *self,
             GtkPrintContext       *context)
{
  GtkPrintSettings *settings = gtk_print_operation_get_print_settings (GTK_PRINT_OPERATION (self));
  double surface = gtk_print_context_get_dpi_x (context);
  int dpi;

  if (surface > 72.5)
    dpi = (int) lround (surface);
  else if (settings != NULL && (gtk_print_settings_has_key (settings, GTK_PRINT_SETTINGS_RESOLUTION_X) ||
                                gtk_print_settings_has_key (settings, GTK_PRINT_SETTINGS_RESOLUTION)))
    dpi = gtk_print_settings_get_resolution_x (settings);
  else
    dpi = (int) sc_label_layout_get_geometry (self->label)->dpi;
  return (guint) CLAMP (dpi, 100, 2400);
}

static char *
printer_name (ScLabelPrintOperation *self)
{
  GtkPrintSettings *settings = gtk_print_operation_get_print_settings (GTK_PRINT_OPERATION (self));
  g_autofree char *export = NULL;
  const char *name = settings != NULL ? gtk_print_settings_get_printer (settings) : NULL;

  g_object_get (self, "export-filename", &export, NULL);
  if (export != NULL)
    {
      g_autofree char *base = g_path_get_basename (export);
      return g_strconcat (PRINTER_PREFIX, "PDF file ", base, NULL);
    }
  return g_strconcat (PRINTER_PREFIX, name != NULL && *name != '\0' ? name : "?", NULL);
}

static void
begin_print_cb (ScLabelPrintOperation *self,
                GtkPrintContext       *context)
{
  g_autoptr(GTask) task = NULL;
  PrepareJob *job;

  g_return_if_fail (!self->preparing && !self->prepared);

  self->dpi = printer_dpi (self, context);
  g_free (self->printer);
  self->printer = printer_name (self);

  job = g_new0 (PrepareJob, 1);
  job->profile = g_object_ref (self->profile);
  job->label = g_object_ref (self->label);
  job->serial_line = g_strdup (self->serial_line);
  job->training = self->training;
  job->store = g_object_ref (self->store);
  job->unit_id = self->unit_id;
  job->reason = g_strdup (self->reason);
  job->printer = g_strdup (self->printer);
  job->operator_name = g_strdup (self->operator_name);
  job->dpi = self->dpi;

  self->preparing = TRUE;
  task = g_task_new (self, self->cancellable, prepare_done_cb, NULL);
  g_task_set_source_tag (task, begin_print_cb);
  g_task_set_task_data (task, job, prepare_job_free);
  g_task_run_in_thread (task, prepare_thread);
}

/* GTK asks again from an idle until this says the document is ready: the
 * label is laid out, verified and journaled in a thread meanwhile (a few
 * milliseconds), and the main loop keeps running. */
static gboolean
paginate_cb (ScLabelPrintOperation *self,
             GtkPrintContext       *context)
{
  if (!self->prepared)
    return FALSE;
  if (self->error != NULL)
    gtk_print_operation_cancel (GTK_PRINT_OPERATION (self));
  else
    gtk_print_operation_set_n_pages (GTK_PRINT_OPERATION (self), 1);
  return TRUE;
}

static GtkPaperSize *
label_paper (ScLabelLayout *layout)
{
  const ScGeometry *g = sc_label_layout_get_geometry (layout);
  guint width, height;

  sc_label_layout_get_size (layout, &width, &height);
  return gtk_paper_size_new_custom (LABEL_PAPER, _("Label"), width * 25.4 / g->dpi, height * 25.4 / g->dpi,
                                    GTK_UNIT_MM);
}

/* On the label's own paper, the paper is the label as laid out for this
 * printer (a dot or two larger or smaller than at the label's own
 * resolution); any other paper chosen is left alone. */
static void
request_page_setup_cb (ScLabelPrintOperation *self,
                       GtkPrintContext       *context,
                       int                    page_nr,
                       GtkPageSetup          *setup)
{
  g_autoptr(GtkPaperSize) paper = NULL;

  if (self->layout == NULL ||
      g_strcmp0 (gtk_paper_size_get_name (gtk_page_setup_get_paper_size (setup)), LABEL_PAPER) != 0)
    return;
  paper = label_paper (self->layout);
  gtk_page_setup_set_paper_size (setup, paper);
}

static void
draw_page_cb (ScLabelPrintOperation *self,
              GtkPrintContext       *context,
              int                    page_nr)
{
  cairo_t *cr = gtk_print_context_get_cairo_context (context);
  double surface_dpi = gtk_print_context_get_dpi_x (context);
  double layout_dpi = sc_label_layout_get_geometry (self->layout)->dpi;
  double printer_per_unit = self->dpi / surface_dpi;   /* printer dots per surface unit */
  double ux = 1, uy = 0, x = 0, y = 0, dx, dy, scale;

  g_return_if_fail (self->layout != NULL);

  cairo_save (cr);

  /* The label's corner on the printer's grid: its dots land on whole
   * printer dots. */
  cairo_user_to_device (cr, &x, &y);
  dx = (ceil (x * printer_per_unit - 1e-6) - x * printer_per_unit) / printer_per_unit;
  dy = (ceil (y * printer_per_unit - 1e-6) - y * printer_per_unit) / printer_per_unit;
  cairo_device_to_user_distance (cr, &dx, &dy);
  cairo_translate (cr, dx, dy);

  /* True size, whatever the dialog's scale or pages per sheet did to the
   * context: one of the layout's dots is 1/layout_dpi inch on paper. */
  cairo_user_to_device_distance (cr, &ux, &uy);
  scale = surface_dpi / layout_dpi / hypot (ux, uy);
  cairo_scale (cr, scale, scale);

  sc_label_layout_draw (self->layout, cr);
  cairo_restore (cr);
  self->drawn = TRUE;
}

static void
done_cb (ScLabelPrintOperation   *self,
         GtkPrintOperationResult  result)
{
  GtkPrintOperation *op = GTK_PRINT_OPERATION (self);
  g_autoptr(GError) error = NULL;
  g_autofree char *export = NULL;

  if (self->done)
    return;
  self->done = TRUE;
  self->result = result;

  /* Still laid out and verified in its thread: it finishes the job. */
  if (self->preparing)
    return;

  if (self->print_id == 0)
    {
      /* Nothing was journaled, so nothing went out. */
      if (result == GTK_PRINT_OPERATION_RESULT_ERROR)
        gtk_print_operation_get_error (op, &error);
      finish (self, FALSE, self->error ? self->error->message : error ? error->message : NULL);
      return;
    }

  switch (result)
    {
    case GTK_PRINT_OPERATION_RESULT_APPLY:
      g_object_get (self, "export-filename", &export, NULL);
      /* A file written is a label printed; a printer's job is followed to
       * its end (status-changed). */
      if (export != NULL)
        record (self, SC_PRINT_DONE, NULL, NULL);
      else if (gtk_print_operation_is_finished (op))
        record_from_status (self);
      break;

    case GTK_PRINT_OPERATION_RESULT_ERROR:
      gtk_print_operation_get_error (op, &error);
      record_not_printed (self, error ? error->message : _("the print system failed without saying why"));
      break;

    case GTK_PRINT_OPERATION_RESULT_CANCEL:
      record_not_printed (self, _("the print was cancelled"));
      break;

    case GTK_PRINT_OPERATION_RESULT_IN_PROGRESS:
    default:
      break;
    }
}

static void
status_changed_cb (ScLabelPrintOperation *self)
{
  if (self->done && self->result == GTK_PRINT_OPERATION_RESULT_APPLY && self->print_id != 0 &&
      gtk_print_operation_is_finished (GTK_PRINT_OPERATION (self)))
    record_from_status (self);
}

/* ------------------------------------------------------------- the object */

static void
sc_label_print_operation_dispose (GObject *object)
{
  ScLabelPrintOperation *self = SC_LABEL_PRINT_OPERATION (object);

  g_cancellable_cancel (self->cancellable);

  G_OBJECT_CLASS (sc_label_print_operation_parent_class)->dispose (object);
}

static void
sc_label_print_operation_finalize (GObject *object)
{
  ScLabelPrintOperation *self = SC_LABEL_PRINT_OPERATION (object);

  g_clear_object (&self->profile);
  g_clear_object (&self->label);
  g_free (self->serial_line);
  g_clear_object (&self->store);
  g_free (self->reason);
  g_free (self->operator_name);
  g_clear_object (&self->cancellable);
  g_free (self->printer);
  g_clear_object (&self->layout);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (sc_label_print_operation_parent_class)->finalize (object);
}

static void
sc_label_print_operation_class_init (ScLabelPrintOperationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sc_label_print_operation_dispose;
  object_class->finalize = sc_label_print_operation_finalize;

  signals[SIGNAL_FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                           NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_BOOLEAN, G_TYPE_STRING);
}

static void
sc_label_print_operation_init (ScLabelPrintOperation *self)
{
  self->cancellable = g_cancellable_new ();

  /* Handlers rather than class methods: GTK asks paginate only of an
   * operation with a handler connected. */
  g_signal_connect (self, "begin-print", G_CALLBACK (begin_print_cb), NULL);
  g_signal_connect (self, "paginate", G_CALLBACK (paginate_cb), NULL);
  g_signal_connect (self, "request-page-setup", G_CALLBACK (request_page_setup_cb), NULL);
  g_signal_connect (self, "draw-page", G_CALLBACK (draw_page_cb), NULL);
  g_signal_connect (self, "done", G_CALLBACK (done_cb), NULL);
  g_signal_connect (self, "status-changed", G_CALLBACK (status_changed_cb), NULL);
}

/* The label's own size as the paper, no margins: a label printer prints it
 * as it is, and the dialog offers any other paper. */
static GtkPageSetup *
label_page_setup (ScLabelLayout *label)
{
  GtkPageSetup *setup = gtk_page_setup_new ();
  g_autoptr(GtkPaperSize) paper = label_paper (label);

  gtk_page_setup_set_orientation (setup, GTK_PAGE_ORIENTATION_PORTRAIT);
  gtk_page_setup_set_paper_size (setup, paper);
  gtk_page_setup_set_top_margin (setup, 0, GTK_UNIT_MM);
  gtk_page_setup_set_bottom_margin (setup, 0, GTK_UNIT_MM);
  gtk_page_setup_set_left_margin (setup, 0, GTK_UNIT_MM);
  gtk_page_setup_set_right_margin (setup, 0, GTK_UNIT_MM);
  return setup;
}

ScLabelPrintOperation *
sc_label_print_operation_new (ScProfile     *profile,
                              ScLabelLayout *label,
                              const char    *serial_line,
                              gboolean       training,
                              ScStore       *store,
                              gint64         unit_id,
                              const char    *reason,
                              const char    *operator_name)
{
  ScLabelPrintOperation *self;
  g_autoptr(GtkPageSetup) setup = NULL;
  g_autofree char *job_name = NULL;
  ScLabelKind kind;

  g_return_val_if_fail (SC_IS_PROFILE (profile), NULL);
  g_return_val_if_fail (SC_IS_LABEL_LAYOUT (label), NULL);
  g_return_val_if_fail (SC_IS_STORE (store), NULL);
  g_return_val_if_fail (unit_id > 0, NULL);
  g_return_val_if_fail (reason != NULL && *reason != '\0', NULL);

  self = g_object_new (SC_TYPE_LABEL_PRINT_OPERATION, NULL);
  self->profile = g_object_ref (profile);
  self->label = g_object_ref (label);
  self->serial_line = g_strdup (serial_line);
  self->training = training;
  self->store = g_object_ref (store);
  self->unit_id = unit_id;
  self->reason = g_strdup (reason);
  self->operator_name = g_strdup (operator_name);

  kind = sc_label_layout_get_kind (label);
  /* The print queue shows it: no PIN, no payload. */
  job_name = g_strdup_printf ("%s %s label (reprint)", serial_line ? serial_line : "",
                              sc_label_kind_to_string (kind));
  gtk_print_operation_set_job_name (GTK_PRINT_OPERATION (self), g_strstrip (job_name));
  setup = label_page_setup (label);
  gtk_print_operation_set_default_page_setup (GTK_PRINT_OPERATION (self), setup);
  gtk_print_operation_set_embed_page_setup (GTK_PRINT_OPERATION (self), TRUE);
  gtk_print_operation_set_n_pages (GTK_PRINT_OPERATION (self), 1);
  gtk_print_operation_set_track_print_status (GTK_PRINT_OPERATION (self), TRUE);
  gtk_print_operation_set_allow_async (GTK_PRINT_OPERATION (self), TRUE);
  return self;
}

const char *
sc_label_print_operation_get_printer (ScLabelPrintOperation *self)
{
  g_return_val_if_fail (SC_IS_LABEL_PRINT_OPERATION (self), NULL);
  return self->printer;
}

guint
sc_label_print_operation_get_dpi (ScLabelPrintOperation *self)
{
  g_return_val_if_fail (SC_IS_LABEL_PRINT_OPERATION (self), 0);
  return self->dpi;
}

ScLabelLayout *
sc_label_print_operation_get_layout (ScLabelPrintOperation *self)
{
  g_return_val_if_fail (SC_IS_LABEL_PRINT_OPERATION (self), NULL);
  return self->layout;
}
