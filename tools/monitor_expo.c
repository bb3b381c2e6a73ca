/*
 * The Prometheus text exposition format, version 0.0.4, of a monitor
 * snapshot (the metrics are described in monitor_metrics.c): a HELP and a
 * TYPE line per family, then its samples. Label values that come from the
 * program (span labels) are escaped; counts are printed as integers,
 * seconds with 15 significant digits. Also the text buffer both exports use.
 */
#include "monitor.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- buffer */

void mon_buf_free(mon_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static bool reserve(mon_buf *b, size_t n)
{
    if (b->failed)
        return false;
    if (b->len + n + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 16384;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        b->failed = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void mon_buf_put(mon_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void mon_buf_puts(mon_buf *b, const char *s)
{
    mon_buf_put(b, s, strlen(s));
}

void mon_buf_printf(mon_buf *b, const char *fmt, ...)
{
    /* Only short pieces go through here (names, numbers): never cut. */
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        b->failed = true;
    else
        mon_buf_put(b, tmp, (size_t)n);
}

void mon_expo_label_value(mon_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\')
            mon_buf_put(b, "\\\\", 2);
        else if (c == '"')
            mon_buf_put(b, "\\\"", 2);
        else if (c == '\n')
            mon_buf_put(b, "\\n", 2);
        else
            mon_buf_put(b, &c, 1);
    }
}

/* ------------------------------------------------------------- writer */

typedef struct expo {
    mon_buf *b;
    const char *name;      /* the current family */
} expo;

static void family(void *ctx, const char *name, mon_kind kind, const char *unit, const char *help)
{
    (void)unit;
    expo *e = ctx;
    e->name = name;
    /* help texts are constants without backslashes or newlines */
    static const char *const type[] = { "counter", "gauge", "histogram" };
    mon_buf_puts(e->b, "# HELP ");
    mon_buf_puts(e->b, name);
    mon_buf_puts(e->b, " ");
    mon_buf_puts(e->b, help);
    mon_buf_puts(e->b, "\n# TYPE ");
    mon_buf_puts(e->b, name);
    mon_buf_puts(e->b, " ");
    mon_buf_puts(e->b, type[kind]);
    mon_buf_puts(e->b, "\n");
}

static void dbl(mon_buf *b, double v)
{
    mon_buf_printf(b, "%.15g", v);
}

/* `{a="x",b="y"` without the closing brace (so `le` can follow), or
 * nothing; returns whether a brace was opened. */
static bool labels(mon_buf *b, const mon_label *l, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        mon_buf_puts(b, i == 0 ? "{" : ",");
        mon_buf_puts(b, l[i].name);
        mon_buf_puts(b, "=\"");
        mon_expo_label_value(b, l[i].value, strlen(l[i].value));
        mon_buf_puts(b, "\"");
    }
    return n > 0;
}

static void value(void *ctx, const mon_label *l, unsigned n, bool is_int, uint64_t u, double d)
{
    expo *e = ctx;
    mon_buf_puts(e->b, e->name);
    if (labels(e->b, l, n))
        mon_buf_puts(e->b, "}");
    mon_buf_puts(e->b, " ");
    if (is_int)
        mon_buf_printf(e->b, "%" PRIu64, u);
    else
        dbl(e->b, d);
    mon_buf_puts(e->b, "\n");
}

static void histogram(void *ctx, const mon_label *l, unsigned n, const mon_hist *h,
                      const double *bounds, unsigned nbounds)
{
    expo *e = ctx;
    mon_buf *b = e->b;
    uint64_t cum = 0;
    for (unsigned i = 0; i <= nbounds; i++) {
        mon_buf_puts(b, e->name);
        mon_buf_puts(b, "_bucket");
        mon_buf_puts(b, labels(b, l, n) ? "," : "{");
        mon_buf_puts(b, "le=\"");
        if (i < nbounds) {
            cum += h->bucket[i];
            dbl(b, bounds[i]);
        } else {
            cum = h->count;
            mon_buf_puts(b, "+Inf");
        }
        mon_buf_printf(b, "\"} %" PRIu64 "\n", cum);
    }
    mon_buf_puts(b, e->name);
    mon_buf_puts(b, "_sum");
    if (labels(b, l, n))
        mon_buf_puts(b, "}");
    mon_buf_puts(b, " ");
    dbl(b, h->sum);
    mon_buf_puts(b, "\n");
    mon_buf_puts(b, e->name);
    mon_buf_puts(b, "_count");
    if (labels(b, l, n))
        mon_buf_puts(b, "}");
    mon_buf_printf(b, " %" PRIu64 "\n", h->count);
}

void mon_expo_write(mon_buf *b, const mon_snapshot *s)
{
    expo e = { b, NULL };
    mon_visitor v = { &e, family, value, histogram, NULL };
    mon_visit(s, &v);
}
