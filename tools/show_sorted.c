/*
 * `eventlog show SOURCE`: byte-identical to `ghc-events show` (events stably
 * sorted by timestamp), in memory that does not grow with the input.
 *
 * The sorting is the library's (include/eventlog/order.h, elog_order):
 *   pass 1  the source (cli_source: files, gzip, pipes, sockets, progress)
 *           feeds a decoder whose events go to elog_order_note(), which
 *           records the time-ordered runs; a plain file is re-read in place,
 *           anything else is spooled meanwhile (store.c). A large plain file
 *           is decoded as two halves on two threads instead
 *           (elog_order_scan_fd(), through a mapping of the file).
 *   pass 2  elog_order_merge_fill() merges the runs into batches of raw
 *           records with their capabilities, which both threads decode and
 *           format (elog_show_records()) and write out in order.
 *
 * Nothing is printed unless pass 1 reached a usable end (like ghc-events,
 * which prints nothing when decoding fails).
 */
#include "cli.h"
#include "eventlog/order.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Inputs smaller than this are decoded in one piece (overridable at compile
 * time or with $ELOG_SHOW_SPLIT_MIN, to test the split on small files). */
#ifndef SPLIT_MIN
#define SPLIT_MIN (8u * 1024u * 1024u)
#endif

typedef struct sorter {
    const char *name;       /* of the source, for messages */
    cli_store store;
    bool store_begun;
    elog_end end;           /* how the input ended */
    bool have_end;
    const elog_header *h;
    cli_output *out;
    elog_order *order;
} sorter;

/* ---------------------------------------------------------------- pass 1 */

static int p1_on_event(elog_decoder *d, const elog_event *ev)
{
    sorter *s = cli_source_ctx(d);
    return elog_order_note(s->order, ev);
}

/* Pass 1 sees every byte before the decoder: keep it for pass 2. */
static int p1_on_bytes(cli_source *src, const uint8_t *p, size_t n)
{
    sorter *s = cli_source_ctx_of(src);
    if (!s->store_begun) {
        if (cli_store_begin(&s->store, src) != 0)
            return -1;
        s->store_begun = true;
    }
    return cli_store_append(&s->store, p, n);
}

static void p1_on_end(cli_source *src, const cli_stream_end *e)
{
    sorter *s = cli_source_ctx_of(src);
    s->end = *e->end;
    s->have_end = true;
}

/* Decodes the whole input, recording runs. Returns an exit code, or -1 to
 * go on with pass 2 (s->end then tells how the input ended). */
static int pass1(sorter *s, cli_source *src, elog_decoder **dec_out)
{
    elog_decoder *dec = cli_source_decoder(src);
    *dec_out = dec;
    if (cli_source_run(src) != 0 || !s->have_end)
        return CLI_EXIT_BAD_INPUT;
    const char *err = elog_order_error(s->order);
    if (err[0] != '\0') {
        cli_error("%s: %s", s->name, err);
        return CLI_EXIT_BAD_INPUT;
    }
    if (!cli_end_usable(&s->end))
        return cli_report_end(s->name, dec, &s->end, elog_get_header(dec), false);
    return -1;
}

static uint64_t split_min(void)
{
    const char *e = getenv("ELOG_SHOW_SPLIT_MIN");
    if (e != NULL && *e >= '0' && *e <= '9')
        return strtoull(e, NULL, 10);
    return SPLIT_MIN;
}

/* Pass 1 in two halves on two threads (elog_order_scan_fd()) for a large
 * plain file. Returns -1 to go on with pass 2 (the runs, header and end
 * set), or -2 if it did not work out: then pass 1 must run sequentially. */
static int pass1_split(sorter *s, cli_source *src, const cli_options *opt)
{
    int fd;
    uint64_t base;
    struct stat sb;
    if (opt->follow || !cli_source_seekable(src, &fd, &base) || fstat(fd, &sb) != 0 ||
        !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size < base ||
        (uint64_t)sb.st_size - base < split_min() || sysconf(_SC_NPROCESSORS_ONLN) < 2 ||
        isatty(2))
        return -2;
    uint64_t size = (uint64_t)sb.st_size - base;
    uint8_t magic[4];
    size_t got;
    if (cli_pread_full(fd, magic, sizeof magic, base, &got) != 0 || got != sizeof magic ||
        memcmp(magic, "hdrb", 4) != 0)
        return -2; /* gzip, or not an eventlog: the sequential pass says what */

    /* Both halves read through one mapping of the input when it can be
     * mapped: the kernel copies nothing then (a file that shrinks meanwhile
     * raises SIGBUS, which file_map.c reports). */
    cli_map map;
    bool mapped = getenv("ELOG_SHOW_NO_MAP") == NULL &&
                  cli_map_open(&map, fd, base, size, cli_source_name(src));
    int rc = elog_order_scan_fd(s->order, fd, base, size, mapped ? map.data : NULL, &s->end);
    if (mapped)
        cli_map_close(&map);
    if (rc != 1)
        return -2;
    s->have_end = true;
    return -1;
}

/* ---------------------------------------------------------------- pass 2 */

static int store_read(void *ctx, void *buf, size_t len, uint64_t off)
{
    return cli_store_pread(ctx, buf, len, off);
}

/* Pass 2's work is merging (cheap: record sizes and timestamps only) and
 * then decoding and formatting the records (most of it). The merge copies the
 * records it picks into batches, with their capabilities, and hands them over
 * through a ring of slots; a second thread, when there is a second CPU,
 * decodes and formats batches into their own text buffers, and so does the
 * merging thread whenever the ring is full instead of waiting: both CPUs stay
 * busy whatever the mix of events, and the second thread, which always has a
 * backlog then, seldom needs waking. Whoever finishes the batch next in line
 * writes it and any formatted after it: the output is in order and only one
 * thread at a time uses `out` (the holder of `writing`). */
#define BATCH_EVENTS 2048u
#define BATCH_RAW (192u * 1024u) /* > ELOG_MAX_RECORD_SIZE: a batch takes any record */
#define BATCHES 6u
#define THREAD_MIN_EVENTS (4u * BATCH_EVENTS)
#define BATCH_TEXT (128u * 1024u) /* initial text buffer; grows for long lines */

typedef struct batch {
    uint32_t n;
    size_t raw_len;
    bool formatted;         /* text holds its lines (or as many as decoded) */
    bool bad;               /* a record no longer decodes: text stops before it */
    elog_status bad_status;
    uint64_t bad_off;
    elog_writer text;
    uint16_t cap[BATCH_EVENTS];
    uint64_t off[BATCH_EVENTS]; /* stream offsets, for messages */
    uint8_t raw[BATCH_RAW];
} batch;

typedef struct formatter {
    cli_output *out;
    const elog_header *h;
    batch *ring;            /* `slots` slots; batch number k is in ring[k % slots] */
    unsigned slots;         /* BATCHES, or 1 without a thread */
    /* Batch numbers: filled < produced; claimed ones are being or have been
     * formatted; written ones are out and their slots free again. */
    uint64_t produced, claimed, written;
    bool threaded;
    bool done;              /* no more batches */
    bool writing;           /* a thread is writing batches to `out` */
    bool stop;              /* output failed, or a batch was bad: format no more */
    bool stopped;           /* the merge saw `stop` (its own copy, unlocked) */
    bool oom;               /* a text buffer could not grow */
    bool bad;               /* the first bad batch in output order */
    elog_status bad_status;
    uint64_t bad_off;
    bool worker_waits, merge_waits;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t more;    /* a batch was handed over, or done */
    pthread_cond_t room;    /* a batch was written */
} formatter;

/* Text buffers grow instead of flushing: a batch is written out whole. */
static int text_grow(elog_writer *w)
{
    size_t ncap = w->cap * 2;
    char *nb = realloc(w->buf, ncap);
    if (nb == NULL)
        return -1;
    w->buf = nb;
    w->cap = ncap;
    return 0;
}

/* Decodes and formats a batch into its text (no lock held: the batch is this
 * thread's until it is marked formatted). */
static void batch_format(const formatter *f, batch *b)
{
    elog_writer *w = &b->text;
    w->len = 0;
    w->failed = false;
    w->dropped = 0;
    b->bad = false;
    elog_status st;
    size_t done = elog_show_records(w, f->h, b->raw, b->raw_len, b->cap, b->n, &st);
    if (done < b->n) {
        /* The merge stepped over it by its size: only its fields can be
         * wrong (the input changed between passes). */
        b->bad = true;
        b->bad_status = st;
        b->bad_off = b->off[done];
    }
}

/* With the lock held, after batch k was formatted: writes the batches that
 * are next in line, unless another thread is at it (it will see this one). */
static void batch_done(formatter *f, uint64_t k)
{
    f->ring[k % f->slots].formatted = true;
    if (f->writing)
        return;
    f->writing = true;
    while (f->written < f->claimed && f->ring[f->written % f->slots].formatted) {
        batch *b = &f->ring[f->written % f->slots];
        bool skip = f->stop;
        if (f->threaded)
            pthread_mutex_unlock(&f->mu);
        bool failed = false, bad = false, oom = false;
        if (!skip) {
            oom = b->text.failed;
            if (!oom)
                cli_output_write(f->out, b->text.buf, b->text.len);
            failed = cli_output_failed(f->out);
            bad = b->bad;
        }
        if (f->threaded)
            pthread_mutex_lock(&f->mu);
        if (oom)
            f->oom = true;
        if (bad && !f->bad) {
            f->bad = true;
            f->bad_status = b->bad_status;
            f->bad_off = b->bad_off;
        }
        if (failed || bad || oom)
            f->stop = true;
        b->formatted = false;
        f->written++;
        if (f->merge_waits)
            pthread_cond_signal(&f->room);
    }
    f->writing = false;
}

/* With the lock held: claims the oldest waiting batch, formats it unlocked
 * and writes what is in line. */
static void format_next(formatter *f)
{
    uint64_t k = f->claimed++;
    batch *b = &f->ring[k % f->slots];
    bool skip = f->stop;
    if (f->threaded)
        pthread_mutex_unlock(&f->mu);
    if (!skip)
        batch_format(f, b);
    if (f->threaded)
        pthread_mutex_lock(&f->mu);
    batch_done(f, k);
}

static void *format_worker(void *arg)
{
    formatter *f = arg;
    pthread_mutex_lock(&f->mu);
    for (;;) {
        while (f->claimed == f->produced && !f->done) {
            f->worker_waits = true;
            pthread_cond_wait(&f->more, &f->mu);
        }
        f->worker_waits = false;
        if (f->claimed == f->produced)
            break;
        format_next(f);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

static void formatter_free_ring(formatter *f)
{
    for (unsigned i = 0; i < f->slots; i++)
        free(f->ring[i].text.buf);
    free(f->ring);
    f->ring = NULL;
}

/* For `events` events in all. Returns 0, or -1 if out of memory. */
static int formatter_start(formatter *f, cli_output *out, const elog_header *h,
                           uint64_t events)
{
    memset(f, 0, sizeof *f);
    f->out = out;
    f->h = h;
    /* A thread pays off from a few batches on. */
    bool thread = events >= THREAD_MIN_EVENTS && sysconf(_SC_NPROCESSORS_ONLN) > 1;
    f->slots = thread ? BATCHES : 1;
    f->ring = calloc(f->slots, sizeof *f->ring);
    if (f->ring == NULL)
        return -1;
    for (unsigned i = 0; i < f->slots; i++) {
        char *buf = malloc(BATCH_TEXT);
        if (buf == NULL) {
            formatter_free_ring(f);
            return -1;
        }
        elog_writer_init(&f->ring[i].text, buf, BATCH_TEXT, text_grow, NULL);
    }
    if (thread && pthread_mutex_init(&f->mu, NULL) == 0) {
        if (pthread_cond_init(&f->more, NULL) == 0) {
            if (pthread_cond_init(&f->room, NULL) == 0) {
                if (pthread_create(&f->thread, NULL, format_worker, f) == 0) {
                    f->threaded = true;
                    return 0;
                }
                pthread_cond_destroy(&f->room);
            }
            pthread_cond_destroy(&f->more);
        }
        pthread_mutex_destroy(&f->mu);
    }
    return 0;
}

/* The batch being filled. */
static inline batch *formatter_current(formatter *f)
{
    return &f->ring[f->produced % f->slots];
}

/* Hands the current batch over and starts the next one, formatting batches
 * here while the ring is full. Returns false
 * once output failed or a batch was bad: the caller stops, and there is no
 * batch to fill (its slot may still be in use). */
static bool formatter_push(formatter *f)
{
    if (f->threaded)
        pthread_mutex_lock(&f->mu);
    f->produced++;
    if (f->worker_waits)
        pthread_cond_signal(&f->more);
    while (!f->stop) {
        if (f->produced - f->written < f->slots)
            break;
        if (f->claimed < f->produced) {
            format_next(f);
            continue;
        }
        f->merge_waits = true;
        pthread_cond_wait(&f->room, &f->mu);
        f->merge_waits = false;
    }
    f->stopped = f->stop;
    if (f->threaded)
        pthread_mutex_unlock(&f->mu);
    if (f->stopped)
        return false;
    batch *b = formatter_current(f);
    b->n = 0;
    b->raw_len = 0;
    return true;
}

/* Formats and writes what is left and stops the worker: `out` is the
 * caller's again. */
static void formatter_finish(formatter *f)
{
    if (f->ring == NULL)
        return;
    if (!f->stopped && formatter_current(f)->n > 0)
        (void)formatter_push(f);
    if (f->threaded) {
        pthread_mutex_lock(&f->mu);
        while (f->claimed < f->produced)
            format_next(f);
        while (f->written < f->produced) {
            f->merge_waits = true;
            pthread_cond_wait(&f->room, &f->mu);
        }
        f->merge_waits = false;
        f->done = true;
        pthread_cond_signal(&f->more);
        pthread_mutex_unlock(&f->mu);
        pthread_join(f->thread, NULL);
        pthread_cond_destroy(&f->room);
        pthread_cond_destroy(&f->more);
        pthread_mutex_destroy(&f->mu);
    }
    formatter_free_ring(f);
}


static void batch_wrap(elog_order_batch *ob, batch *b)
{
    ob->raw = b->raw;
    ob->raw_cap = BATCH_RAW;
    ob->caps = b->cap;
    ob->offsets = b->off;
    ob->max = BATCH_EVENTS;
    ob->n = b->n;
    ob->raw_len = b->raw_len;
}

static int pass2(sorter *s)
{
    elog_show_header(&s->out->w, s->h);
    uint64_t events = elog_order_events(s->order);
    if (events == 0)
        return 0;
    elog_status st = elog_order_merge_begin(s->order, s->h, store_read, &s->store);
    if (st != ELOG_OK) {
        /* A failed read of the store printed its own message. */
        uint64_t off;
        if (st != ELOG_E_CALLBACK ||
            elog_order_merge_status(s->order, &off) != ELOG_E_CALLBACK)
            cli_error("%s: %s", s->name, elog_order_error(s->order));
        return -1;
    }

    formatter f;
    if (formatter_start(&f, s->out, s->h, events) != 0) {
        cli_error("%s: out of memory merging sorted runs", s->name);
        return -1;
    }
    batch *b = formatter_current(&f);
    elog_order_batch ob;
    batch_wrap(&ob, b);
    for (;;) {
        bool any = elog_order_merge_fill(s->order, &ob);
        b->n = (uint32_t)ob.n;
        b->raw_len = ob.raw_len;
        if (!any)
            break;
        if (ob.n == BATCH_EVENTS || ob.raw_len > BATCH_RAW - ELOG_MAX_RECORD_SIZE) {
            if (!formatter_push(&f))
                break;
            b = formatter_current(&f);
            batch_wrap(&ob, b);
        }
    }
    /* The events merged so far are output even after an error; the first
     * inconsistency in output order is the one reported. */
    formatter_finish(&f);
    uint64_t bad_off;
    elog_status mst = elog_order_merge_status(s->order, &bad_off);
    int rc = 0;
    if (f.oom) {
        cli_error("%s: out of memory formatting events", s->name);
        rc = -1;
    } else if (f.bad) {
        cli_error("%s: input changed between passes: %s (at byte offset %llu)", s->name,
                  elog_status_name(f.bad_status), (unsigned long long)f.bad_off);
        rc = -1;
    } else if (mst != ELOG_OK) {
        /* A failed read of the store printed its own message. */
        if (mst != ELOG_E_CALLBACK)
            cli_error("%s: %s", s->name, elog_order_error(s->order));
        rc = -1;
    }
    return rc;
}

/* ---------------------------------------------------------------- command */

int cli_show_sorted(const char *source, const cli_options *opt)
{
    static cli_output out;
    cli_output_init(&out, 1);

    sorter s;
    memset(&s, 0, sizeof s);
    s.out = &out;
    elog_order_options oo;
    elog_order_options_init(&oo);
    oo.decoder_options = CLI_DECODER_OPTIONS;
    /* Test hooks (like $ELOG_SHOW_SPLIT_MIN): a small fan-in and budget make
     * the merge in several passes happen on small logs. */
    const char *e = getenv("ELOG_SHOW_MAX_RUNS");
    if (e != NULL && *e >= '0' && *e <= '9')
        oo.max_runs = (size_t)strtoull(e, NULL, 10);
    e = getenv("ELOG_SHOW_MERGE_BUDGET");
    if (e != NULL && *e >= '0' && *e <= '9')
        oo.memory_budget = (size_t)strtoull(e, NULL, 10);
    s.order = elog_order_new(&oo);
    if (s.order == NULL) {
        cli_error("%s: out of memory", source);
        return CLI_EXIT_BAD_INPUT;
    }

    elog_settings settings;
    elog_settings_init(&settings);
    settings.on_event = p1_on_event;
    settings.options = CLI_DECODER_OPTIONS;
    cli_source_config cfg = {
        .settings = &settings,
        .hooks = { .on_bytes = p1_on_bytes, .on_end = p1_on_end },
        .ctx = &s,
        .follow = opt->follow,
        .idle_timeout_ms = opt->idle_timeout_ms,
        .connect_timeout_ms = opt->connect_timeout_ms,
        .progress = true,
    };
    cli_source *src = cli_source_open(source, &cfg);
    if (src == NULL) {
        elog_order_free(s.order);
        return CLI_EXIT_BAD_INPUT;
    }
    s.name = cli_source_name(src);
    cli_store_init(&s.store, s.name);

    elog_decoder *dec = NULL;
    int rc = pass1_split(&s, src, opt);
    if (rc == -1) {
        s.h = elog_order_header(s.order);
        dec = NULL;
        if (cli_store_begin(&s.store, src) != 0)
            rc = CLI_EXIT_BAD_INPUT;
    } else {
        rc = pass1(&s, src, &dec);
        if (rc == -1)
            s.h = elog_get_header(dec);
    }
    if (rc == -1) {
        if (s.h == NULL) {
            cli_error("%s: internal error: no header after decoding", s.name);
            rc = CLI_EXIT_BAD_INPUT;
        } else if (pass2(&s) != 0) {
            (void)cli_output_flush(&out);
            rc = cli_output_failed(&out) ? cli_output_report(&out) : CLI_EXIT_BAD_INPUT;
        } else if (cli_output_failed(&out)) {
            rc = cli_output_report(&out);
        } else {
            elog_writer_put(&out.w, "\n", 1);
            if (cli_output_flush(&out) != 0)
                rc = cli_output_report(&out);
            else
                rc = cli_report_end(s.name, dec, &s.end, s.h, opt->strict);
        }
    }

    elog_order_free(s.order);
    cli_store_close(&s.store);
    cli_source_close(src);
    return rc;
}
