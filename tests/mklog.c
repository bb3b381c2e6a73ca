/*
 * mklog: eventlogs for the CLI tests (tests/cli/cli_test.py), written by the
 * library's writer rather than assembled by hand (issue 17), for the cli
 * suite, which runs before the Python binding is built.
 *
 *   mklog records IN
 *       one line per record of IN's data section, in file order:
 *       "OFFSET SIZE ID" (decoded by the library; block markers included).
 *       Exit 0 if IN decodes to its end-of-data marker, 1 otherwise (a cut
 *       or damaged log: the lines printed are the complete records).
 *   mklog write IN OUT
 *       a new eventlog OUT with IN's header (elog_log_writer_header) and the
 *       records of IN listed on stdin ("OFFSET SIZE" per line, any order,
 *       repeats allowed), in that order, through the verbatim writer (block
 *       markers written as given; the last block's size corrected, the end
 *       marker appended at finish). Exit 0, or 1 with a message.
 *
 * IN is read whole into memory: test-sized logs only.
 */
#include "eventlog.h"
#include "eventlog/writer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "mklog: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 20, n = 0, got;
    uint8_t *b = malloc(cap);
    while (b != NULL && (got = fread(b + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *nb = realloc(b, cap * 2);
            if (nb == NULL) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (b == NULL)
        fprintf(stderr, "mklog: %s: out of memory\n", path);
    *len = n;
    return b;
}

typedef struct run_ctx {
    elog_log_writer *w;       /* write: the header goes here */
    elog_status wst;
    bool list;                /* records: print each record */
    uint64_t data_offset;     /* of the first record */
} run_ctx;

static int on_header(elog_decoder *d, const elog_header *h)
{
    run_ctx *c = d->data;
    c->data_offset = h->data_offset;
    if (c->w != NULL) {
        c->wst = elog_log_writer_header(c->w, h);
        return c->wst == ELOG_OK ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
    }
    return ELOG_CB_CONTINUE;
}

static int on_event(elog_decoder *d, const elog_event *ev)
{
    run_ctx *c = d->data;
    if (c->list)
        printf("%" PRIu64 " %" PRIu32 " %u\n", ev->offset, ev->size, ev->id);
    return ELOG_CB_CONTINUE;
}

/* Decodes the whole of `buf`; returns the end. */
static elog_end decode(run_ctx *c, const uint8_t *buf, size_t len, bool events)
{
    elog_settings s;
    elog_settings_init(&s);
    s.on_header = on_header;
    if (events)
        s.on_event = on_event;
    elog_decoder d;
    elog_decoder_init(&d, &s, c);
    (void)elog_execute(&d, buf, len);
    elog_end end = elog_finish(&d);
    if (end.kind == ELOG_END_ERROR)
        fprintf(stderr, "mklog: %s (at byte offset %" PRIu64 ")\n", elog_get_error_reason(&d),
                end.offset);
    elog_decoder_free(&d);
    return end;
}

static int cmd_records(const char *in)
{
    size_t len;
    uint8_t *buf = read_all(in, &len);
    if (buf == NULL)
        return 1;
    run_ctx c = {.list = true};
    elog_end end = decode(&c, buf, len, true);
    free(buf);
    return end.kind == ELOG_END_CLEAN && fflush(stdout) == 0 ? 0 : 1;
}

static int cmd_write(const char *in, const char *out)
{
    size_t len;
    uint8_t *buf = read_all(in, &len);
    if (buf == NULL)
        return 1;
    run_ctx c = {0};
    elog_log_writer_options wo = {.flags = ELOG_LOG_WRITER_VERBATIM};
    if (elog_log_writer_open_path(&c.w, &wo, out) != ELOG_OK) {
        fprintf(stderr, "mklog: %s: %s\n", out, strerror(errno));
        free(buf);
        return 1;
    }
    int rc = 1;
    elog_end end = decode(&c, buf, len, false);
    if (c.wst != ELOG_OK || end.kind == ELOG_END_ERROR || end.kind == ELOG_END_EMPTY ||
        end.kind == ELOG_END_TRUNCATED_IN_HEADER) {
        fprintf(stderr, "mklog: %s: no usable header (%s)\n", in,
                c.wst != ELOG_OK ? elog_log_writer_error_reason(c.w) : elog_end_kind_name(end.kind));
        goto done;
    }
    unsigned long long off, size;
    int n;
    while ((n = scanf("%llu %llu", &off, &size)) == 2) {
        if (off < c.data_offset || off > len || size > len - off) {
            fprintf(stderr, "mklog: record at %llu (%llu bytes) is outside %s's data\n", off,
                    size, in);
            goto done;
        }
        elog_status st = elog_log_writer_record(c.w, ELOG_NO_CAP, buf + off, (size_t)size);
        if (st != ELOG_OK) {
            fprintf(stderr, "mklog: record at %llu: %s\n", off, elog_log_writer_error_reason(c.w));
            goto done;
        }
    }
    if (n != EOF) {
        fprintf(stderr, "mklog: stdin: expected lines \"OFFSET SIZE\"\n");
        goto done;
    }
    if (elog_log_writer_finish(c.w, NULL) != ELOG_OK) {
        fprintf(stderr, "mklog: %s: %s\n", out, elog_log_writer_error_reason(c.w));
        goto done;
    }
    rc = 0;
done:
    elog_log_writer_free(c.w);
    free(buf);
    if (rc != 0)
        remove(out);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "records") == 0)
        return cmd_records(argv[2]);
    if (argc == 4 && strcmp(argv[1], "write") == 0)
        return cmd_write(argv[2], argv[3]);
    fprintf(stderr, "usage: mklog records IN | mklog write IN OUT < records\n");
    return 2;
}
