/*
 * libFuzzer target: the analysis layer (include/eventlog/analysis.h) on any
 * bytes, with small bounds so that every eviction path runs (labels,
 * threads, open spans, censuses, time buckets).
 *
 * Input layout: byte 0 picks a chunking pattern, bytes 1..8 seed it, the
 * rest is the stream. The oracle: the analysis sees the same events however
 * the stream is chunked, so the final JSON of a whole decode and of a
 * chunked one (with live snapshots rendered in between) must be identical;
 * sanitizers check every rendering. Any mismatch aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"
#include "eventlog/analysis.h"
#include "fuzz_common.h"

/* The JSON (and, for coverage, the text) of a snapshot; JSON into `out`. */
static void render(elog_analysis *a, fuzz_sink *out)
{
    elog_stats *st = elog_analysis_snapshot(a);
    if (st == NULL)
        abort();
    char wbuf[512];
    elog_writer w;
    out->len = 0;
    elog_writer_init(&w, wbuf, sizeof wbuf, fuzz_sink_flush, out);
    elog_stats_write_json(&w, st);
    elog_writer_flush(&w);
    fuzz_sink text = { NULL, 0, 0 };
    elog_writer_init(&w, wbuf, sizeof wbuf, fuzz_sink_flush, &text);
    elog_stats_write_text(&w, st, 5);
    elog_writer_flush(&w);
    free(text.buf);
    elog_stats_free(st);
}

static elog_analysis *new_analysis(void)
{
    elog_analysis_config c;
    elog_analysis_config_init(&c);
    c.max_threads = 4;
    c.max_labels = 3;
    c.max_open_spans = 4;
    c.time_buckets = 4;
    c.bucket_ns = 1;
    c.max_censuses = 3;
    elog_analysis *a = elog_analysis_new(&c);
    if (a == NULL)
        abort();
    return a;
}

static void run(const uint8_t *p, size_t n, const fuzz_chunker *proto, fuzz_sink *json)
{
    elog_analysis *a = new_analysis();
    elog_settings st;
    elog_settings_init(&st);
    elog_analysis_attach(&st);
    st.options = ELOG_OPT_CONTINUE_AFTER_END | ELOG_OPT_LENIENT_BLOCKS;
    elog_decoder d;
    elog_decoder_init(&d, &st, a);
    if (proto == NULL) {
        elog_execute(&d, p, n);
    } else {
        fuzz_chunker c = *proto;
        size_t off = 0;
        unsigned chunks = 0;
        fuzz_sink live = { NULL, 0, 0 };
        while (off < n) {
            size_t k = fuzz_chunker_next(&c, n - off);
            elog_result r = elog_execute(&d, p + off, k);
            if (r.status != ELOG_OK && r.status != ELOG_PAUSED)
                break;
            off += k;
            if (++chunks % 61 == 0)
                render(a, &live); /* a live snapshot: must not disturb the figures */
        }
        free(live.buf);
    }
    elog_end end = elog_finish(&d);
    /* No reason text: it quotes the bytes the decoder had at hand, which
     * depend on the chunking (its status and offset do not). */
    elog_analysis_on_end(a, &end, NULL);
    render(a, json);
    elog_decoder_free(&d);
    elog_analysis_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9)
        return 0;
    fuzz_chunker c;
    fuzz_chunker_init(&c, data[0], data + 1);
    fuzz_sink whole = { NULL, 0, 0 }, chunked = { NULL, 0, 0 };
    run(data + 9, size - 9, NULL, &whole);
    run(data + 9, size - 9, &c, &chunked);
    if (whole.len != chunked.len || memcmp(whole.buf, chunked.buf, whole.len) != 0) {
        fprintf(stderr, "fuzz_analysis: whole and chunked differ:\n%.*s\n%.*s\n",
                (int)whole.len, whole.buf, (int)chunked.len, chunked.buf);
        abort();
    }
    free(whole.buf);
    free(chunked.buf);
    return 0;
}
