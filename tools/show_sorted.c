/*
 * `eventlog show SOURCE`: byte-identical to `ghc-events show` (events stably
 * sorted by timestamp), in memory that does not grow with the number of
 * events.
 *
 * Eventlogs are almost sorted: each capability's blocks are in time order and
 * only a few events (GC_END after GC_STATS_GHC, interleaved blocks) go
 * backwards. So:
 *
 *   pass 1  decodes the whole input once and splits the events, in file order,
 *           into maximal runs of non-decreasing timestamps; a run is a
 *           contiguous byte range and is recorded as (start, end, first time,
 *           count, block state at its start). A plain file is re-read in
 *           place; gzip, pipes and sockets are spooled (decompressed) to an
 *           unlinked temporary file meanwhile, so that pass 2 can pread it
 *           (store.c). Progress is shown on a terminal.
 *   pass 2  merges the runs with a binary heap keyed by (time, run index),
 *           re-reading each run sequentially through its own small buffer and
 *           decoding records with elog_decode_record() and capabilities with
 *           elog_block_state_apply(). Ties go to the earlier run, i.e. the
 *           earlier event in the file, which is exactly a stable sort.
 *
 * Nothing is printed unless pass 1 reached a usable end (like ghc-events,
 * which prints nothing when decoding fails).
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* Budget for all run buffers together, and the bounds of one buffer
 * (overridable at compile time to exercise the refill and scratch paths;
 * RUN_BUF_MIN must stay >= 12). */
#ifndef MERGE_BUDGET
#define MERGE_BUDGET (64u * 1024u * 1024u)
#endif
#ifndef RUN_BUF_MIN
#define RUN_BUF_MIN 256u
#endif
#ifndef RUN_BUF_MAX
#define RUN_BUF_MAX (64u * 1024u)
#endif

typedef struct run {
    /* Recorded by pass 1; count, key and bs then advance during pass 2. */
    uint64_t start, end;    /* stream offsets [start, end) of its records */
    uint64_t last_time;     /* time of its last record (pass 1 only) */
    uint64_t count;         /* records still to output */
    uint64_t key;           /* time of the next record to output */
    elog_block_state bs;    /* block state before its next record */
    /* Pass 2 only: the run's read buffer. */
    uint8_t *buf;
    uint32_t cap, pos, len; /* buf[pos..len) are valid */
    uint64_t next;          /* stream offset of buf[len] */
} run;

typedef struct sorter {
    const char *name;       /* of the source, for messages */
    cli_store store;
    bool store_begun;
    elog_end end;           /* how the input ended */
    bool have_end;
    const elog_header *h;
    cli_output *out;
    /* pass 1 */
    run *runs;
    size_t n_runs, cap_runs;
    elog_block_state bs;
    bool oom;
    bool cap_mismatch;
    uint64_t mismatch_offset;
    /* pass 2 */
    uint32_t *heap;
    size_t heap_len;
    uint8_t *scratch;       /* ELOG_MAX_RECORD_SIZE bytes */
} sorter;

/* ---------------------------------------------------------------- pass 1 */

static int p1_on_event(elog_decoder *d, const elog_event *ev)
{
    sorter *s = cli_source_ctx(d);
    run *cur = s->n_runs > 0 ? &s->runs[s->n_runs - 1] : NULL;
    if (cur == NULL || ev->time < cur->last_time || ev->offset != cur->end) {
        if (s->n_runs == s->cap_runs) {
            size_t ncap = s->cap_runs ? 2 * s->cap_runs : 256;
            run *nr = realloc(s->runs, ncap * sizeof *nr);
            if (nr == NULL) {
                s->oom = true;
                return ELOG_CB_ABORT;
            }
            s->runs = nr;
            s->cap_runs = ncap;
        }
        cur = &s->runs[s->n_runs++];
        memset(cur, 0, sizeof *cur);
        cur->start = ev->offset;
        cur->key = ev->time;
        cur->bs = s->bs;
    }
    cur->end = ev->offset + ev->size;
    cur->last_time = ev->time;
    cur->count++;

    /* Track the block state pass 2 will need, and check it agrees with the
     * decoder's own attribution. */
    elog_event tmp = *ev;
    elog_block_state_apply(&s->bs, &tmp, false);
    if (tmp.cap != ev->cap) {
        s->cap_mismatch = true;
        s->mismatch_offset = ev->offset;
        return ELOG_CB_ABORT;
    }
    return ELOG_CB_CONTINUE;
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
static int pass1(sorter *s, cli_source *src)
{
    if (cli_source_run(src) != 0 || !s->have_end)
        return CLI_EXIT_BAD_INPUT;
    if (s->oom) {
        cli_error("%s: out of memory recording %zu sorted runs", s->name, s->n_runs);
        return CLI_EXIT_BAD_INPUT;
    }
    if (s->cap_mismatch) {
        cli_error("%s: internal error: capability attribution of elog_block_state_apply() "
                  "differs from the decoder's (at byte offset %llu)",
                  s->name, (unsigned long long)s->mismatch_offset);
        return CLI_EXIT_BAD_INPUT;
    }
    elog_decoder *dec = cli_source_decoder(src);
    if (!cli_end_usable(&s->end))
        return cli_report_end(s->name, dec, &s->end, elog_get_header(dec), false);
    return -1;
}

/* ---------------------------------------------------------------- pass 2 */

static uint64_t be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Moves the unread bytes to the front of the run buffer and fills the rest
 * from the input, without going past the run's end. */
static int run_fill(sorter *s, run *r)
{
    uint32_t keep = r->len - r->pos;
    if (keep > 0 && r->pos > 0)
        memmove(r->buf, r->buf + r->pos, keep);
    r->pos = 0;
    r->len = keep;
    uint64_t want = r->cap - r->len;
    if (want > r->end - r->next)
        want = r->end - r->next;
    if (want == 0)
        return 0;
    if (cli_store_pread(&s->store, r->buf + r->len, (size_t)want, r->next) != 0)
        return -1;
    r->len += (uint32_t)want;
    r->next += want;
    return 0;
}

static int changed(sorter *s, uint64_t off, const char *what)
{
    cli_error("%s: input changed between passes: %s (at byte offset %llu)",
              s->name, what, (unsigned long long)off);
    return -1;
}

/* Time of the run's next record. */
static int run_peek_time(sorter *s, run *r, uint64_t *t)
{
    if (r->len - r->pos < 10) {
        if (run_fill(s, r) != 0)
            return -1;
        if (r->len - r->pos < 10)
            return changed(s, r->next - (r->len - r->pos), "record cut short");
    }
    *t = be64(r->buf + r->pos + 2);
    return 0;
}

/* Decodes the run's next record into *ev (slices valid until the next call
 * for this run). */
static int run_decode(sorter *s, run *r, elog_event *ev)
{
    uint64_t off = r->next - (r->len - r->pos);
    for (;;) {
        size_t avail = r->len - r->pos;
        size_t need = 0;
        elog_status st = elog_decode_record(s->h, r->buf + r->pos, avail, off, ev, &need);
        if (st == ELOG_OK) {
            r->pos += (uint32_t)need;
            return 0;
        }
        if (st != ELOG_NEED_MORE)
            return changed(s, off, elog_status_name(st));
        if (off + need > r->end)
            return changed(s, off, "record crosses the end of its run");
        if (need > r->cap)
            break; /* does not fit: use the scratch buffer */
        if (avail >= need || r->next == r->end)
            return changed(s, off, "inconsistent record size");
        if (run_fill(s, r) != 0)
            return -1;
    }

    /* A record larger than the run buffer. */
    size_t have = r->len - r->pos;
    memcpy(s->scratch, r->buf + r->pos, have);
    r->pos = r->len = 0;
    for (;;) {
        size_t need = 0;
        elog_status st = elog_decode_record(s->h, s->scratch, have, off, ev, &need);
        if (st == ELOG_OK) {
            r->next = off + need;
            return 0;
        }
        if (st != ELOG_NEED_MORE)
            return changed(s, off, elog_status_name(st));
        if (need <= have || need > ELOG_MAX_RECORD_SIZE || off + need > r->end)
            return changed(s, off, "inconsistent record size");
        if (cli_store_pread(&s->store, s->scratch + have, need - have, off + have) != 0)
            return -1;
        have = need;
    }
}

static bool heap_less(const sorter *s, uint32_t a, uint32_t b)
{
    uint64_t ka = s->runs[a].key, kb = s->runs[b].key;
    return ka < kb || (ka == kb && a < b);
}

static void heap_sift_down(sorter *s, size_t i)
{
    uint32_t *h = s->heap;
    size_t n = s->heap_len;
    uint32_t x = h[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && heap_less(s, h[c + 1], h[c]))
            c++;
        if (!heap_less(s, h[c], x))
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = x;
}

static int pass2(sorter *s)
{
    size_t n = s->n_runs;
    if (n > UINT32_MAX) {
        cli_error("%s: too many sorted runs (%zu)", s->name, n);
        return -1;
    }
    elog_show_header(&s->out->w, s->h);
    if (n == 0)
        return 0;

    uint64_t per = MERGE_BUDGET / n;
    if (per < RUN_BUF_MIN)
        per = RUN_BUF_MIN;
    if (per > RUN_BUF_MAX)
        per = RUN_BUF_MAX;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        run *r = &s->runs[i];
        uint64_t len = r->end - r->start;
        r->cap = (uint32_t)(len < per ? len : per);
        total += r->cap;
    }
    uint8_t *arena = malloc(total > 0 ? (size_t)total : 1);
    s->heap = malloc(n * sizeof *s->heap);
    s->scratch = malloc(ELOG_MAX_RECORD_SIZE);
    if (arena == NULL || s->heap == NULL || s->scratch == NULL) {
        free(arena);
        cli_error("%s: out of memory merging %zu sorted runs", s->name, n);
        return -1;
    }
    uint8_t *p = arena;
    for (size_t i = 0; i < n; i++) {
        run *r = &s->runs[i];
        r->buf = p;
        p += r->cap;
        r->pos = r->len = 0;
        r->next = r->start;
        s->heap[i] = (uint32_t)i;
    }
    s->heap_len = n;
    /* Keys are the runs' first times; build the heap bottom-up. */
    for (size_t i = n / 2; i-- > 0;)
        heap_sift_down(s, i);

    int rc = 0;
    while (s->heap_len > 0) {
        run *r = &s->runs[s->heap[0]];
        elog_event ev;
        if (run_decode(s, r, &ev) != 0) {
            rc = -1;
            break;
        }
        if (ev.time != r->key) {
            rc = changed(s, ev.offset, "timestamp differs");
            break;
        }
        elog_block_state_apply(&r->bs, &ev, false);
        elog_show_event(&s->out->w, &ev);
        if (--r->count == 0) {
            s->heap[0] = s->heap[--s->heap_len];
        } else if (run_peek_time(s, r, &r->key) != 0) {
            rc = -1;
            break;
        }
        if (s->heap_len > 0)
            heap_sift_down(s, 0);
        if (cli_output_failed(s->out))
            break;
    }
    free(arena);
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
    s.bs = (elog_block_state)ELOG_BLOCK_STATE_INIT;

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
    if (src == NULL)
        return CLI_EXIT_BAD_INPUT;
    s.name = cli_source_name(src);
    cli_store_init(&s.store, s.name);

    int rc = pass1(&s, src);
    if (rc == -1) {
        elog_decoder *dec = cli_source_decoder(src);
        s.h = elog_get_header(dec);
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

    free(s.runs);
    free(s.heap);
    free(s.scratch);
    cli_store_close(&s.store);
    cli_source_close(src);
    return rc;
}
