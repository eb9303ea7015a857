/* sc-label-preview.c: a label on screen, drawn by the core's renderer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "sc-label-preview.h"

/* Beyond this a label only grows, it does not get easier to read. */
#define MAX_PIXELS_PER_DOT 4

struct _ScLabelPreview
{
  GtkWidget      parent_instance;

  ScLabelLayout *layout;
  guint          pixels_per_dot;
};

enum { PROP_0, PROP_LAYOUT, N_PROPS };
static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (ScLabelPreview, sc_label_preview, GTK_TYPE_WIDGET)

/* Two device pixels per dot when there is room: a 203 dpi label then shows
 * near its printed size on a common screen, and a phone reads it easily. */
static void
sc_label_preview_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  ScLabelPreview *self = SC_LABEL_PREVIEW (widget);
  int scale = gtk_widget_get_scale_factor (widget);
  guint width = 0, height = 0, dots;

  if (self->layout != NULL)
    sc_label_layout_get_size (self->layout, &width, &height);
  dots = orientation == GTK_ORIENTATION_HORIZONTAL ? width : height;

  *minimum = (int) (dots + scale - 1) / scale;
  *natural = (int) (2 * dots + scale - 1) / scale;
}

static void
sc_label_preview_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  ScLabelPreview *self = SC_LABEL_PREVIEW (widget);
  int scale = gtk_widget_get_scale_factor (widget);
  int device_width = gtk_widget_get_width (widget) * scale;
  int device_height = gtk_widget_get_height (widget) * scale;
  guint width, height, n;
  int x, y;
  graphene_rect_t bounds;
  GskRoundedRect outline;
  const GdkRGBA shadow = { 0, 0, 0, 0.3f };
  cairo_t *cr;

  self->pixels_per_dot = 0;
  if (self->layout == NULL)
    return;

  sc_label_layout_get_size (self->layout, &width, &height);
  if (width == 0 || height == 0)
    return;

  /* A whole number of device pixels per printer dot, so each module is a
   * block of whole pixels; a label larger than the widget is clipped at one
   * pixel per dot rather than smoothed down. */
  n = MIN ((guint) device_width / width, (guint) device_height / height);
  n = CLAMP (n, 1, MAX_PIXELS_PER_DOT);

  /* Centred, on a device pixel boundary. */
  x = MAX (0, (device_width - (int) (width * n)) / 2);
  y = MAX (0, (device_height - (int) (height * n)) / 2);
  graphene_rect_init (&bounds, (float) x / scale, (float) y / scale,
                      (float) (width * n) / scale, (float) (height * n) / scale);

  gsk_rounded_rect_init_from_rect (&outline, &bounds, 0);
  gtk_snapshot_append_outset_shadow (snapshot, &outline, &shadow, 0, 1, 0, 4);

  cr = gtk_snapshot_append_cairo (snapshot, &bounds);
  cairo_translate (cr, (double) x / scale, (double) y / scale);
  cairo_scale (cr, (double) n / scale, (double) n / scale);
  sc_label_layout_draw (self->layout, cr);
  cairo_destroy (cr);

  self->pixels_per_dot = n;
}

static void
sc_label_preview_dispose (GObject *object)
{
  ScLabelPreview *self = SC_LABEL_PREVIEW (object);

  g_clear_object (&self->layout);

  G_OBJECT_CLASS (sc_label_preview_parent_class)->dispose (object);
}

static void
sc_label_preview_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  ScLabelPreview *self = SC_LABEL_PREVIEW (object);

  switch (prop_id)
    {
    case PROP_LAYOUT:
      g_value_set_object (value, self->layout);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sc_label_preview_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  ScLabelPreview *self = SC_LABEL_PREVIEW (object);

  switch (prop_id)
    {
    case PROP_LAYOUT:
      sc_label_preview_set_layout (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sc_label_preview_class_init (ScLabelPreviewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sc_label_preview_dispose;
  object_class->get_property = sc_label_preview_get_property;
  object_class->set_property = sc_label_preview_set_property;

  widget_class->measure = sc_label_preview_measure;
  widget_class->snapshot = sc_label_preview_snapshot;

  properties[PROP_LAYOUT] = g_param_spec_object ("layout", NULL, NULL, SC_TYPE_LABEL_LAYOUT,
                                                 G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                 G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "labelpreview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
sc_label_preview_init (ScLabelPreview *self)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Label preview"),
                                  -1);
}

GtkWidget *
sc_label_preview_new (void)
{
  return g_object_new (SC_TYPE_LABEL_PREVIEW, NULL);
}

ScLabelLayout *
sc_label_preview_get_layout (ScLabelPreview *self)
{
  g_return_val_if_fail (SC_IS_LABEL_PREVIEW (self), NULL);
  return self->layout;
}

void
sc_label_preview_set_layout (ScLabelPreview *self,
                             ScLabelLayout  *layout)
{
  g_return_if_fail (SC_IS_LABEL_PREVIEW (self));
  g_return_if_fail (layout == NULL || SC_IS_LABEL_LAYOUT (layout));

  if (!g_set_object (&self->layout, layout))
    return;

  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAYOUT]);
}

guint
sc_label_preview_get_pixels_per_dot (ScLabelPreview *self)
{
  g_return_val_if_fail (SC_IS_LABEL_PREVIEW (self), 0);
  return self->pixels_per_dot;
}
