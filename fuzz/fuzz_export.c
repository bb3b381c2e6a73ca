/*
 * libFuzzer target: the exporters (NDJSON, Chrome trace, the three CSV
 * tables) and the HTML report on every event a fuzzed stream decodes to,
 * through small writer buffers. Oracles: every output is valid UTF-8; NDJSON
 * has one line per event that is not a block marker and no raw control
 * character; the Chrome trace has as many "E" as "B" records and as many "e"
 * as "b" (every slice closed, also for a stream cut anywhere); CSV rows have
 * the header's number of fields outside quotes; the report (for one input in
 * four, by the last byte: it is slow) is one valid page.
 */
#include <stdlib.h>
#include <string.h>

#include "eventlog/export.h"
#include "eventlog/report.h"
#include "fuzz_common.h"

typedef struct ctx {
    elog_exporter *x[5];
    elog_report *r;
    uint64_t events;        /* not block markers */
} ctx;

static int on_header(elog_decoder *d, const elog_header *h)
{
    ctx *c = d->data;
    for (int i = 0; i < 5; i++)
        if (elog_exporter_header(c->x[i], h) != ELOG_OK)
            abort();
    if (c->r == NULL)
        return ELOG_CB_CONTINUE;
    return elog_report_on_header(c->r, h) == ELOG_CB_CONTINUE ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
}

static int on_event(elog_decoder *d, const elog_event *ev)
{
    ctx *c = d->data;
    if (ev->id != ELOG_EV_BLOCK_MARKER)
        c->events++;
    for (int i = 0; i < 5; i++)
        if (elog_exporter_event(c->x[i], ev) != ELOG_OK)
            abort();
    if (c->r == NULL)
        return ELOG_CB_CONTINUE;
    return elog_report_on_event(c->r, ev) == ELOG_CB_CONTINUE ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
}

static size_t count(const fuzz_sink *o, const char *needle)
{
    size_t n = 0, k = strlen(needle);
    for (const char *p = o->buf; p && (p = memmem(p, (size_t)(o->buf + o->len - p), needle, k));
         p += k)
        n++;
    return n;
}

static void check_utf8(const fuzz_sink *o)
{
    /* (elog_utf8_valid() computes ptr + len: not with a NULL ptr) */
    if (o->len > 0 && !elog_utf8_valid((elog_slice){(const uint8_t *)o->buf, o->len}))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char wbuf[5][96], rbuf[128];
    elog_writer w[5], rw;
    fuzz_sink o[5], ro;
    memset(o, 0, sizeof o);
    memset(&ro, 0, sizeof ro);
    ctx c;
    memset(&c, 0, sizeof c);
    for (int i = 0; i < 5; i++) {
        elog_writer_init(&w[i], wbuf[i], sizeof wbuf[i], fuzz_sink_flush, &o[i]);
        elog_export_options opt;
        elog_export_options_init(&opt);
        opt.format = i < 2 ? (elog_export_format)i : ELOG_EXPORT_CSV;
        opt.table = i < 2 ? ELOG_EXPORT_TABLE_HEAP_PROFILE : (elog_export_table)(i - 2);
        opt.top_labels = 3;
        if (elog_exporter_new(&c.x[i], &opt, &w[i]) != ELOG_OK)
            abort();
    }
    elog_writer_init(&rw, rbuf, sizeof rbuf, fuzz_sink_flush, &ro);
    /* the report (a snapshot per input, slow) for one input in four */
    bool report = size > 0 && (data[size - 1] & 3) == 0;
    c.r = report ? elog_report_new(NULL) : NULL;
    if (report && c.r == NULL)
        abort();

    elog_end end = fuzz_decode(data, size, ELOG_OPT_CONTINUE_AFTER_END | ELOG_OPT_LENIENT_BLOCKS,
                               on_header, on_event, &c);
    for (int i = 0; i < 5; i++) {
        if (elog_exporter_finish(c.x[i]) != ELOG_OK)
            abort();
        elog_exporter_free(c.x[i]);
        check_utf8(&o[i]);
    }
    if (report) {
        elog_report_on_end(c.r, &end, NULL);
        if (elog_report_write(c.r, &rw) != ELOG_OK)
            abort();
        elog_report_free(c.r);
        check_utf8(&ro);
        if (ro.len < 100 || memcmp(ro.buf + ro.len - 8, "</html>\n", 8) != 0)
            abort();
    }

    /* NDJSON: a line per event, no raw control character */
    if (count(&o[0], "\n") != c.events)
        abort();
    for (size_t i = 0; i < o[0].len; i++)
        if ((unsigned char)o[0].buf[i] < 0x20 && o[0].buf[i] != '\n')
            abort();
    /* Chrome: every slice closed */
    if (count(&o[1], "\"ph\":\"B\"") != count(&o[1], "\"ph\":\"E\"") ||
        count(&o[1], "\"ph\":\"b\"") != count(&o[1], "\"ph\":\"e\""))
        abort();
    if (o[1].len < 4 || memcmp(o[1].buf + o[1].len - 4, "\n]}\n", 4) != 0)
        abort();
    /* CSV: the header's number of fields on every row (outside quotes) */
    for (int i = 2; i < 5; i++) {
        size_t commas = 0, want = (size_t)-1;
        bool quoted = false;
        for (size_t k = 0; k < o[i].len; k++) {
            char ch = o[i].buf[k];
            if (ch == '"')
                quoted = !quoted;
            else if (ch == ',' && !quoted)
                commas++;
            else if (ch == '\n' && !quoted) {
                if (want == (size_t)-1)
                    want = commas;
                else if (commas != want)
                    abort();
                commas = 0;
            }
        }
        if (quoted)
            abort();
    }
    for (int i = 0; i < 5; i++)
        free(o[i].buf);
    free(ro.buf);
    return 0;
}
