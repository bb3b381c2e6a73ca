/*
 * elog_sorter: time-ordered iteration over a file, descriptor or stdin, on
 * top of elog_reader (pass 1) and elog_order (runs and merge). A plain
 * regular file is re-read in place; anything else (compressed, pipes, sockets
 * given as descriptors) is spooled, decompressed, to an unlinked temporary
 * file while pass 1 decodes it.
 */
#include "order_internal.h"
#include "eventlog/reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH_EVENTS 4096u
/* Smaller plain files are decoded in one piece: two threads pay off from a
 * few MiB on. */
#define SPLIT_MIN (8u * 1024u * 1024u)
#define BATCH_RAW (256u * 1024u)

struct elog_sorter {
    elog_order_options opts;
    char *name;
    elog_reader *reader;
    elog_settings settings;     /* pass 1 */
    elog_decoder dec;
    bool dec_inited;
    elog_order *order;
    const elog_header *h;
    elog_end end;
    int fd;                     /* what pass 2 reads: the input or the spool */
    uint64_t base;
    bool spool;
    bool header_sent;
    /* the batch being handed out */
    elog_order_batch batch;
    size_t next_i, next_off;
    bool done;
    char error[512];
};

static void set_error(elog_sorter *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_error(elog_sorter *s, const char *fmt, ...)
{
    int n = snprintf(s->error, sizeof s->error, "%s: ", s->name != NULL ? s->name : "input");
    if (n < 0 || (size_t)n >= sizeof s->error)
        n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->error + n, sizeof s->error - (size_t)n, fmt, ap);
    va_end(ap);
}

static int p1_on_event(elog_decoder *d, const elog_event *ev)
{
    elog_sorter *s = d->data;
    return elog_order_note(s->order, ev);
}

static int read_at(void *ctx, void *buf, size_t len, uint64_t off)
{
    elog_sorter *s = ctx;
    if (order_pread_full(s->fd, buf, len, s->base + off) != 0) {
        set_error(s, "cannot read at byte offset %llu: %s", (unsigned long long)off,
                  errno ? strerror(errno) : "the file shrank");
        return -1;
    }
    return 0;
}

static int spool_create(elog_sorter *s)
{
    const char *dir = s->opts.tmpdir;
    if (dir == NULL || *dir == '\0')
        dir = getenv("TMPDIR");
    if (dir == NULL || *dir == '\0')
        dir = "/tmp";
    char tmpl[4096];
    if ((size_t)snprintf(tmpl, sizeof tmpl, "%s/eventlog-spool-XXXXXX", dir) >= sizeof tmpl) {
        set_error(s, "temporary directory name too long");
        return -1;
    }
    int fd = mkostemp(tmpl, O_CLOEXEC);
    if (fd < 0) {
        set_error(s, "cannot create a temporary file in %s: %s (set TMPDIR)", dir,
                  strerror(errno));
        return -1;
    }
    (void)unlink(tmpl);
    s->fd = fd;
    s->base = 0;
    s->spool = true;
    return 0;
}

static int spool_append(elog_sorter *s, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(s->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            set_error(s, "cannot write the temporary spool file: %s (set TMPDIR to a "
                         "directory with room)",
                      w < 0 ? strerror(errno) : "no progress");
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The decoder's end as an error message, or 0 if the events are usable. */
static int check_end(elog_sorter *s)
{
    const elog_end *e = &s->end;
    switch (e->kind) {
    case ELOG_END_CLEAN:
    case ELOG_END_TRUNCATED_BETWEEN_EVENTS:
    case ELOG_END_TRUNCATED_IN_EVENT:
        return 0;
    case ELOG_END_EMPTY:
        set_error(s, "empty input, not an eventlog");
        return -1;
    case ELOG_END_TRUNCATED_IN_HEADER:
        set_error(s, "truncated inside the header (at byte offset %llu): no events",
                  (unsigned long long)e->offset);
        return -1;
    default:
        if (s->order->error[0] != '\0')
            set_error(s, "%s", s->order->error);
        else
            set_error(s, "%s (at byte offset %llu)", elog_get_error_reason(&s->dec),
                      (unsigned long long)elog_get_error_offset(&s->dec));
        return -1;
    }
}

static int pass1(elog_sorter *s)
{
    const uint8_t *p;
    size_t n;
    elog_reader_status st = elog_reader_read(s->reader, &p, &n);
    if (st != ELOG_READER_OK) {
        set_error(s, "%s", elog_reader_error(s->reader));
        return -1;
    }
    elog_reader_info info;
    elog_reader_get_info(s->reader, &info);
    if (info.regular && info.format == ELOG_READER_PLAIN) {
        s->fd = info.fd;
        s->base = info.start;
        int rc = info.size < SPLIT_MIN ? 0 : elog_order_scan_fd(s->order, info.fd, info.start, info.size, NULL, &s->end);
        if (rc < 0) {
            set_error(s, "out of memory");
            return -1;
        }
        if (rc == 1) {
            s->h = elog_order_header(s->order);
            return 0;
        }
    } else if (spool_create(s) != 0) {
        return -1;
    }
    while (n > 0) {
        if (s->spool && spool_append(s, p, n) != 0)
            return -1;
        elog_result r = elog_execute(&s->dec, p, n);
        if (r.status != ELOG_OK)
            break;
        st = elog_reader_read(s->reader, &p, &n);
        if (st != ELOG_READER_OK) {
            s->end = elog_finish(&s->dec);
            set_error(s, "%s", elog_reader_error(s->reader));
            return -1;
        }
    }
    s->end = elog_finish(&s->dec);
    if (check_end(s) != 0)
        return -1;
    s->h = elog_get_header(&s->dec);
    return 0;
}

static int sorter_start(elog_sorter *s)
{
    s->order = elog_order_new(&s->opts);
    s->batch.raw = malloc(BATCH_RAW);
    s->batch.caps = malloc(BATCH_EVENTS * sizeof *s->batch.caps);
    s->batch.offsets = malloc(BATCH_EVENTS * sizeof *s->batch.offsets);
    if (s->order == NULL || s->batch.raw == NULL || s->batch.caps == NULL ||
        s->batch.offsets == NULL) {
        set_error(s, "out of memory");
        return -1;
    }
    s->batch.raw_cap = BATCH_RAW;
    s->batch.max = BATCH_EVENTS;
    elog_settings_init(&s->settings);
    s->settings.on_event = p1_on_event;
    s->settings.options = s->opts.decoder_options;
    elog_decoder_init(&s->dec, &s->settings, s);
    s->dec_inited = true;
    if (pass1(s) != 0)
        return -1;
    if (s->h == NULL) {
        set_error(s, "no header");
        return -1;
    }
    elog_status st = elog_order_merge_begin(s->order, s->h, read_at, s);
    if (st != ELOG_OK) {
        if (s->error[0] == '\0' || st != ELOG_E_CALLBACK)
            set_error(s, "%s", elog_order_error(s->order));
        return -1;
    }
    return 0;
}

static int sorter_open(elog_sorter **out, const char *path, int fd, const char *name,
                       const elog_order_options *opts)
{
    elog_sorter *s = calloc(1, sizeof *s);
    *out = s;
    if (s == NULL)
        return -1;
    s->fd = -1;
    /* Until pass 1 ends: an error that is not the decoder's (I/O, memory). */
    s->end.kind = ELOG_END_ERROR;
    s->end.status = ELOG_E_CALLBACK;
    if (opts != NULL)
        s->opts = *opts;
    char fdname[32];
    if (path == NULL && name == NULL) {
        snprintf(fdname, sizeof fdname, "fd %d", fd);
        name = fdname;
    }
    s->name = strdup(path != NULL ? (strcmp(path, "-") == 0 ? "<stdin>" : path) : name);
    if (s->name == NULL) {
        set_error(s, "out of memory");
        return -1;
    }
    elog_reader_options ro;
    elog_reader_options_init(&ro);
    ro.no_read_ahead = s->opts.no_threads;
    elog_reader_status st = path != NULL ? elog_reader_open(&s->reader, path, &ro)
                                         : elog_reader_open_fd(&s->reader, fd, name, &ro);
    if (st != ELOG_READER_OK) {
        snprintf(s->error, sizeof s->error, "%s", elog_reader_error(s->reader));
        return -1;
    }
    return sorter_start(s);
}

int elog_sorter_open(elog_sorter **out, const char *path, const elog_order_options *opts)
{
    if (path == NULL) {
        *out = NULL;
        return -1;
    }
    return sorter_open(out, path, -1, NULL, opts);
}

int elog_sorter_open_fd(elog_sorter **out, int fd, const char *name,
                        const elog_order_options *opts)
{
    return sorter_open(out, NULL, fd, name, opts);
}

const elog_header *elog_sorter_header(const elog_sorter *s)
{
    return s != NULL ? s->h : NULL;
}

void elog_sorter_end(const elog_sorter *s, elog_end *end)
{
    if (s != NULL)
        *end = s->end;
    else
        memset(end, 0, sizeof *end);
}

int elog_sorter_next(elog_sorter *s, elog_event *ev)
{
    if (s == NULL || s->h == NULL || s->order == NULL || !s->order->begun)
        return -1;
    if (s->next_i == s->batch.n) {
        if (s->done)
            return 0;
        s->batch.n = 0;
        s->batch.raw_len = 0;
        s->next_i = 0;
        s->next_off = 0;
        if (!elog_order_merge_fill(s->order, &s->batch)) {
            s->done = true;
            uint64_t off;
            if (elog_order_merge_status(s->order, &off) != ELOG_OK) {
                if (s->error[0] == '\0')
                    set_error(s, "%s", elog_order_error(s->order));
                return -1;
            }
            return 0;
        }
    }
    size_t need = 0;
    size_t i = s->next_i;
    elog_status st = elog_decode_record(s->h, s->batch.raw + s->next_off,
                                        s->batch.raw_len - s->next_off, s->batch.offsets[i], ev,
                                        &need);
    if (st != ELOG_OK) {
        s->done = true;
        s->batch.n = s->next_i;
        set_error(s, "input changed between passes: %s (at byte offset %llu)",
                  elog_status_name(st), (unsigned long long)s->batch.offsets[i]);
        return -1;
    }
    ev->cap = s->batch.caps[i];
    s->next_i++;
    s->next_off += need;
    return 1;
}

int elog_sorter_run(elog_sorter *s, const elog_settings *settings, void *data)
{
    if (s == NULL || s->h == NULL)
        return -1;
    /* The callbacks get the decoder that holds the header. */
    elog_decoder *d = order_scan_decoder(s->order);
    if (d == NULL)
        d = &s->dec;
    void *old = d->data;
    d->data = data;
    int rc = 0;
    if (!s->header_sent && settings->on_header != NULL) {
        s->header_sent = true;
        int cb = settings->on_header(d, s->h);
        if (cb == ELOG_CB_PAUSE)
            rc = 1;
        else if (cb != ELOG_CB_CONTINUE)
            rc = -2;
    }
    s->header_sent = true;
    elog_event ev;
    while (rc == 0) {
        int n = elog_sorter_next(s, &ev);
        if (n <= 0) {
            rc = n;
            break;
        }
        elog_event_cb cb = ev.id == ELOG_EV_BLOCK_MARKER && settings->on_block != NULL
                               ? settings->on_block
                               : settings->on_event;
        if (cb == NULL)
            continue;
        if (settings->select != NULL && ev.type != NULL && !settings->select(d, ev.type))
            continue;
        int r = cb(d, &ev);
        if (r == ELOG_CB_PAUSE)
            rc = 1;
        else if (r != ELOG_CB_CONTINUE)
            rc = -2;
    }
    d->data = old;
    if (rc == -2) {
        set_error(s, "stopped by a callback");
        rc = -1;
    }
    return rc;
}

const char *elog_sorter_error(const elog_sorter *s)
{
    return s == NULL ? "out of memory" : s->error;
}

void elog_sorter_close(elog_sorter *s)
{
    if (s == NULL)
        return;
    elog_order_free(s->order);
    if (s->dec_inited)
        elog_decoder_free(&s->dec);
    if (s->spool && s->fd >= 0)
        close(s->fd);
    elog_reader_close(s->reader);
    free(s->batch.raw);
    free(s->batch.caps);
    free(s->batch.offsets);
    free(s->name);
    free(s);
}
