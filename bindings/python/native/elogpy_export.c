/*
 * libeventlog.export() for the Python binding (appended to elogpy.c by
 * build_ffi.py when the C library has include/eventlog/export.h): the whole
 * export runs in C, from an input descriptor (plain or gzip) to an output
 * descriptor, without the GIL (cffi releases it): exports in time order
 * through the library's sorter (order.h), the report in one pass of the
 * reader.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <eventlog/export.h>
#include <eventlog/order.h>
#include <eventlog/report.h>

typedef struct elogpy_export_result {
    int status;             /* 0 done, 1 decode error, 2 read error, 3 out of memory,
                               4 write error, 5 bad argument */
    elog_end end;
    uint64_t count;         /* records written (export) */
    char error[512];
} elogpy_export_result;

typedef struct elogpy_out {
    elog_writer w;
    int fd;
    int err;
    char buf[1 << 16];
} elogpy_out;

static int elogpy_out_flush(elog_writer *w)
{
    elogpy_out *o = w->ctx;
    const char *p = w->buf;
    size_t n = w->len;
    while (n > 0 && o->err == 0) {
        ssize_t k = write(o->fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            o->err = errno;
            break;
        }
        p += k;
        n -= (size_t)k;
    }
    w->len = 0;
    return o->err ? -1 : 0;
}

typedef struct elogpy_export_ctx {
    elog_exporter *x;
    elog_report *r;
    int failed;
} elogpy_export_ctx;

static int elogpy_export_on_header(elog_decoder *d, const elog_header *h)
{
    elogpy_export_ctx *c = d->data;
    int ok = c->x ? elog_exporter_header(c->x, h) == ELOG_OK
                  : elog_report_on_header(c->r, h) == ELOG_CB_CONTINUE;
    c->failed |= !ok;
    return ok ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
}

static int elogpy_export_on_event(elog_decoder *d, const elog_event *ev)
{
    elogpy_export_ctx *c = d->data;
    int ok = c->x ? elog_exporter_event(c->x, ev) == ELOG_OK
                  : elog_report_on_event(c->r, ev) == ELOG_CB_CONTINUE;
    c->failed |= !ok;
    return ok ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
}

/* format: 0 ndjson, 1 chrome, 2 csv (table 0..2), 3 the HTML report. */
static int elogpy_export(int in_fd, const char *name, int out_fd, int format, int table,
                         unsigned top_labels, unsigned options, const char *title,
                         elogpy_export_result *res)
{
    memset(res, 0, sizeof *res);
    static __thread elogpy_out out;
    out.fd = out_fd;
    out.err = 0;
    elog_writer_init(&out.w, out.buf, sizeof out.buf, elogpy_out_flush, &out);
    elogpy_export_ctx c = {NULL, NULL, 0};
    if (format >= 0 && format <= 2) {
        elog_export_options o;
        elog_export_options_init(&o);
        o.format = (elog_export_format)format;
        o.table = (elog_export_table)table;
        o.top_labels = top_labels;
        elog_status st = elog_exporter_new(&c.x, &o, &out.w);
        if (st != ELOG_OK) {
            res->status = st == ELOG_E_NOMEM ? 3 : 5;
            snprintf(res->error, sizeof res->error, "%s", st == ELOG_E_NOMEM ? "out of memory"
                                                                          : "bad format or table");
            return res->status;
        }
    } else if (format == 3) {
        elog_report_options o;
        elog_report_options_init(&o);
        o.title = title;
        o.name = name;
        c.r = elog_report_new(&o);
        if (c.r == NULL) {
            res->status = 3;
            snprintf(res->error, sizeof res->error, "out of memory");
            return res->status;
        }
    } else {
        res->status = 5;
        snprintf(res->error, sizeof res->error, "bad format");
        return res->status;
    }
    elog_settings s;
    elog_settings_init(&s);
    s.on_header = elogpy_export_on_header;
    s.on_event = elogpy_export_on_event;
    s.options = options;
    if (c.x) {
        /* exports: in time order, through the library's bounded merge */
        elog_order_options oo;
        elog_order_options_init(&oo);
        oo.decoder_options = options;
        elog_sorter *so = NULL;
        if (elog_sorter_open_fd(&so, in_fd, name, &oo) != 0) {
            res->status = so ? 1 : 3;
            snprintf(res->error, sizeof res->error, "%s", so ? elog_sorter_error(so) : "out of memory");
            if (so)
                elog_sorter_end(so, &res->end);
        } else if (elog_sorter_run(so, &s, &c) != 0) {
            res->status = c.failed ? 3 : 1;
            snprintf(res->error, sizeof res->error, "%s", elog_sorter_error(so));
            elog_sorter_end(so, &res->end);
        } else {
            elog_sorter_end(so, &res->end);
            elog_exporter_finish(c.x);
            res->count = elog_exporter_count(c.x);
        }
        elog_sorter_close(so);
    } else {
        elog_decoder d;
        elog_decoder_init(&d, &s, &c);
        elog_reader *r = NULL;
        elog_reader_status rs = elog_reader_open_fd(&r, in_fd, name, NULL);
        if (rs == ELOG_READER_OK)
            rs = elog_reader_run(r, &d, &res->end);
        if (c.failed) {
            res->status = 3;
            snprintf(res->error, sizeof res->error, "out of memory");
        } else if (rs == ELOG_READER_E_DECODE) {
            res->status = 1;
            snprintf(res->error, sizeof res->error, "%s", elog_get_error_reason(&d));
        } else if (rs != ELOG_READER_OK) {
            res->status = rs == ELOG_READER_E_NOMEM ? 3 : 2;
            snprintf(res->error, sizeof res->error, "%s", elog_reader_error(r));
        } else {
            elog_report_on_end(c.r, &res->end, NULL);
            if (elog_report_write(c.r, &out.w) != ELOG_OK) {
                res->status = 3;
                snprintf(res->error, sizeof res->error, "out of memory");
            }
        }
        elog_reader_close(r);
        elog_decoder_free(&d);
    }
    if (res->status == 0 && (elog_writer_flush(&out.w) != 0 || out.err)) {
        res->status = 4;
        snprintf(res->error, sizeof res->error, "write failed: %s", strerror(out.err));
    }
    elog_exporter_free(c.x);
    elog_report_free(c.r);
    return res->status;
}
