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
 *           (store.c). Progress is shown on a terminal. A large plain file is
 *           decoded as two halves on two threads at once ("split mode").
 *   pass 2  merges the runs with a binary heap keyed by (time, run index),
 *           re-reading each run sequentially through its own small buffer,
 *           stepping over records by their sizes and working out their
 *           capabilities as elog_block_state_apply() does. Ties go to the
 *           earlier run, i.e. the earlier event in the file, which is exactly
 *           a stable sort. The run at the top of the heap goes on until its
 *           next time passes the best of the others. The records are copied
 *           in batches, which both threads decode and format
 *           (elog_show_records()) and write out in order.
 *
 * Nothing is printed unless pass 1 reached a usable end (like ghc-events,
 * which prints nothing when decoding fails).
 */
#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Buffers that read(2) fills start at the file offset's remainder modulo
 * COPY_ALIGN (see copy_dst). */
#define COPY_ALIGN 64u
/* Pass 1 in split mode decodes the mapped input this many bytes at a time,
 * and gives the memory behind back as often. Each give-back interrupts the
 * other half's CPU (a TLB shootdown): at 256 KiB they took the head's 25 MB
 * of a heap-profile log from ~5 ms (never given back) to ~10 ms, at 1 MiB
 * ~6.5 ms; but at 1 MiB the peak RSS went from 4.4 to 6.2 MiB on a 1 GB log
 * (a fault maps a whole large folio of the page cache). 512 KiB: ~8 ms,
 * 4.8 MiB. */
#define MAP_STEP (512u * 1024u)

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
    /* Pass 2 only: the run's read buffer (no_buf until its first read). */
    uint8_t *buf;
    uint32_t cap, pos, len; /* buf[pos..len) are valid */
    uint64_t next;          /* stream offset of buf[len] */
} run;

/* What pass 1 learns from one stretch of the input (the whole input, or
 * either half of it in split mode). */
typedef struct p1_state {
    run *runs;
    size_t n_runs, cap_runs;
    elog_event marker;      /* the last block marker (id, size, layout, fields) */
    bool have_marker;
    uint64_t since_marker;  /* bytes of the records after it so far */
    bool oom;
    bool cap_mismatch;
    uint64_t mismatch_offset;
    uint64_t delta;         /* added to the decoder's offsets (split mode's tail) */
    bool gap;               /* some record did not begin where the previous ended */
    run *cur;               /* the last run, NULL before the first */
} p1_state;

typedef struct sorter {
    const char *name;       /* of the source, for messages */
    cli_store store;
    bool store_begun;
    elog_end end;           /* how the input ended */
    bool have_end;
    const elog_header *h;
    cli_output *out;
    /* pass 1 */
    p1_state p1;
    /* pass 2 */
    run *runs;              /* pass 1's */
    size_t n_runs;
    uint32_t *rsize;        /* per event id: record size, RSIZE_VARIABLE or RSIZE_SLOW */
    uint32_t n_rsize;
    uint32_t *heap;
    size_t heap_len;
    uint8_t *scratch;       /* ELOG_MAX_RECORD_SIZE bytes */
    /* Run buffers: slots of `slot` bytes, taken when a run is first read
     * and given back when it is done (see pass2()). */
    uint8_t *fresh;         /* the next never-used slot */
    uint32_t slot;
    uint8_t **spare;        /* given back, reused first */
    size_t n_spare;
    /* The first inconsistency the merge met (reported after the events
     * before it are out, unless formatting met an earlier one). */
    bool bad;
    const char *bad_what;
    uint64_t bad_off;
} sorter;

/* ---------------------------------------------------------------- pass 1 */

/* The block state before the current record, from the last block marker
 * seen (if any) and the records since. Only block markers reset the state;
 * every other record takes its size off the remaining bytes (and the
 * capability goes once nothing remains), so applying all the records since
 * the marker is the same as applying one record of their total size. */
static elog_block_state block_state_now(const p1_state *st)
{
    elog_block_state bs = ELOG_BLOCK_STATE_INIT;
    if (!st->have_marker)
        return bs; /* outside blocks: any remaining <= 0 behaves the same */
    elog_event e = st->marker;
    elog_block_state_apply(&bs, &e, false);
    uint64_t gap = st->since_marker;
    while (gap > 0) {
        e.id = ELOG_EV_CREATE_THREAD; /* any id but the block marker's */
        e.layout = NULL;
        e.size = gap > UINT32_MAX ? UINT32_MAX : (uint32_t)gap;
        elog_block_state_apply(&bs, &e, false);
        gap -= e.size;
    }
    return bs;
}

/* p1_record() for the records that begin a run or are block markers: rare,
 * and apart so that the common case needs no stack frame. */
static __attribute__((noinline)) int p1_record_slow(p1_state *st, const elog_event *ev,
                                                    uint64_t off)
{
    run *cur = st->cur;
    if (cur == NULL || ev->time < cur->last_time || off != cur->end) {
        if (cur != NULL && off != cur->end)
            st->gap = true;
        if (st->n_runs == st->cap_runs) {
            size_t ncap = st->cap_runs ? 2 * st->cap_runs : 256;
            run *nr = realloc(st->runs, ncap * sizeof *nr);
            if (nr == NULL) {
                st->oom = true;
                return ELOG_CB_ABORT;
            }
            st->runs = nr;
            st->cap_runs = ncap;
        }
        cur = &st->runs[st->n_runs++];
        st->cur = cur;
        memset(cur, 0, sizeof *cur);
        cur->start = off;
        cur->key = ev->time;
        cur->bs = block_state_now(st);
        /* Check that pass 2 will attribute the run's first record as the
         * decoder did. */
        elog_block_state bs = cur->bs;
        elog_event tmp;
        tmp.id = ev->id;
        tmp.size = ev->size;
        tmp.layout = ev->layout;
        if (ev->id == ELOG_EV_BLOCK_MARKER)
            tmp.as.block_marker = ev->as.block_marker;
        elog_block_state_apply(&bs, &tmp, false);
        if (tmp.cap != ev->cap) {
            st->cap_mismatch = true;
            st->mismatch_offset = off;
            return ELOG_CB_ABORT;
        }
    }
    cur->end = off + ev->size;
    cur->last_time = ev->time;
    cur->count++;

    /* Pass 2 needs the block state at the start of each run: remember the
     * last block marker. */
    st->since_marker += ev->size;
    if (ev->id == ELOG_EV_BLOCK_MARKER && ev->layout != NULL) {
        st->marker.id = ev->id;
        st->marker.size = ev->size;
        st->marker.layout = ev->layout;
        st->marker.as.block_marker = ev->as.block_marker;
        st->have_marker = true;
        st->since_marker = 0;
    }
    return ELOG_CB_CONTINUE;
}

/* Extends the current run by the record, or starts a new one. */
static inline __attribute__((always_inline)) int p1_record(p1_state *st, const elog_event *ev)
{
    uint64_t off = ev->offset + st->delta;
    run *cur = st->cur;
    if (__builtin_expect(cur == NULL || ev->time < cur->last_time || off != cur->end ||
                             ev->id == ELOG_EV_BLOCK_MARKER, 0))
        return p1_record_slow(st, ev, off);
    cur->end = off + ev->size;
    cur->last_time = ev->time;
    cur->count++;
    st->since_marker += ev->size;
    return ELOG_CB_CONTINUE;
}

static int p1_on_event(elog_decoder *d, const elog_event *ev)
{
    sorter *s = cli_source_ctx(d);
    return p1_record(&s->p1, ev);
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

/* Reports what went wrong in a pass 1 state; returns an exit code, or -1. */
static int p1_check(sorter *s, const p1_state *st)
{
    if (st->oom) {
        cli_error("%s: out of memory recording %zu sorted runs", s->name, st->n_runs);
        return CLI_EXIT_BAD_INPUT;
    }
    if (st->cap_mismatch) {
        cli_error("%s: internal error: capability attribution of elog_block_state_apply() "
                  "differs from the decoder's (at byte offset %llu)",
                  s->name, (unsigned long long)st->mismatch_offset);
        return CLI_EXIT_BAD_INPUT;
    }
    return -1;
}

/* Decodes the whole input, recording runs. Returns an exit code, or -1 to
 * go on with pass 2 (s->end then tells how the input ended). */
static int pass1(sorter *s, cli_source *src, elog_decoder **dec_out)
{
    elog_decoder *dec = cli_source_decoder(src);
    *dec_out = dec;
    if (cli_source_run(src) != 0 || !s->have_end)
        return CLI_EXIT_BAD_INPUT;
    int rc = p1_check(s, &s->p1);
    if (rc != -1)
        return rc;
    if (!cli_end_usable(&s->end))
        return cli_report_end(s->name, dec, &s->end, elog_get_header(dec), false);
    return -1;
}

/* ------------------------------------------------------ pass 1, split mode
 *
 * Pass 1 is one decoder's sequential work, the larger part of the whole when
 * the formatting of pass 2 runs on a second thread. For a large plain file it
 * can run as two halves at once: the head [0, S) on this thread and the tail
 * [S, end) on another, with a second decoder fed the header bytes and then
 * the tail (its offsets are S - F too small, F being where the events begin).
 * S is the start of a block marker near the middle, found by hopping from
 * block to block by their sizes. A block marker resets the block state, so
 * the tail decodes exactly as it would after the head, provided the head's
 * records tile [F, S) exactly (no end marker, nothing left over) and neither
 * half failed. Then the runs are the head's followed by the tail's and the
 * end is the tail's; in every other case the halves are thrown away and pass
 * 1 runs sequentially as usual, so this only ever saves time.
 */

/* Inputs smaller than this are decoded in one piece (overridable at compile
 * time or with $ELOG_SHOW_SPLIT_MIN, to test the split on small files). */
#ifndef SPLIT_MIN
#define SPLIT_MIN (8u * 1024u * 1024u)
#endif
#define SPLIT_CHUNK (256u * 1024u)
#define SPLIT_MAX_HOPS 100000u
#define SPLIT_HEADER_STEP (4u * 1024u)
#define SPLIT_MAX_HEADER (64u * 1024u * 1024u)

typedef struct p1_half {
    elog_settings settings;
    elog_decoder dec;
    p1_state st;
    int fd;
    uint64_t base;          /* file position of stream offset 0 */
    uint8_t *buf;           /* SPLIT_CHUNK + COPY_ALIGN bytes, COPY_ALIGN-aligned */
    cli_map *map;           /* the input mapped from `base` on, or NULL: pread */
    uint64_t dropped;       /* mapped: memory given back up to here */
    bool inited;
    elog_end end;
} p1_half;

static int half_on_event(elog_decoder *d, const elog_event *ev)
{
    p1_half *h = d->data;
    return p1_record(&h->st, ev);
}

static bool half_init(p1_half *h, int fd, uint64_t base)
{
    memset(h, 0, sizeof *h);
    h->fd = fd;
    h->base = base;
    h->buf = aligned_alloc(COPY_ALIGN, SPLIT_CHUNK + COPY_ALIGN);
    elog_settings_init(&h->settings);
    h->settings.on_event = half_on_event;
    h->settings.options = CLI_DECODER_OPTIONS;
    elog_decoder_init(&h->dec, &h->settings, h);
    h->inited = true;
    return h->buf != NULL;
}

static void half_free(p1_half *h)
{
    if (!h->inited)
        return;
    h->inited = false;
    elog_decoder_free(&h->dec);
    free(h->buf);
    free(h->st.runs);
    h->buf = NULL;
    h->st.runs = NULL;
}

/* Where in a COPY_ALIGN-aligned buffer (with COPY_ALIGN bytes to spare) to
 * read the bytes at file position `pos`: at the same offset modulo
 * COPY_ALIGN. The kernel copies out of the page cache with `rep movsb`,
 * which on AMD Zen 3 runs ~4x slower when the destination is 1-31 bytes
 * past the source modulo 4096 -- exactly where malloc puts large blocks
 * (page + 16) and file offsets are page multiples. */
static inline uint8_t *copy_dst(uint8_t *buf, uint64_t pos)
{
    return buf + (pos & (COPY_ALIGN - 1));
}

static bool pread_all(int fd, void *buf, size_t n, uint64_t pos)
{
    size_t done;
    return cli_pread_full(fd, buf, n, pos, &done) == 0 && done == n;
}

/* Feeds stream bytes [from, to) to the half's decoder. false on a read or
 * decode error (or a callback's abort): the sequential pass will say what. */
static bool half_feed(p1_half *h, uint64_t from, uint64_t to)
{
    if (h->map != NULL) {
        if (to > h->map->len)
            return false;
        if (h->dropped < from)
            h->dropped = from; /* the tail's first bytes are not the header's */
        while (from < to) {
            size_t n = to - from < MAP_STEP ? (size_t)(to - from) : MAP_STEP;
            elog_result r = elog_execute(&h->dec, h->map->data + from, n);
            if (r.status != ELOG_OK)
                return false;
            from += n;
            /* The decoder keeps no pointer into what it was given. */
            if (from - h->dropped >= MAP_STEP)
                h->dropped = cli_map_drop(h->map, h->dropped, from);
        }
        return true;
    }
    while (from < to) {
        size_t n = to - from < SPLIT_CHUNK ? (size_t)(to - from) : SPLIT_CHUNK;
        uint8_t *dst = copy_dst(h->buf, h->base + from);
        if (!pread_all(h->fd, dst, n, h->base + from))
            return false;
        elog_result r = elog_execute(&h->dec, dst, n);
        if (r.status != ELOG_OK)
            return false;
        from += n;
    }
    return true;
}

typedef struct tail_job {
    p1_half h;
    uint64_t header_len, from, to;
    bool ok;
} tail_job;

static void *tail_worker(void *arg)
{
    tail_job *j = arg;
    j->ok = half_feed(&j->h, 0, j->header_len) && half_feed(&j->h, j->from, j->to);
    j->h.end = elog_finish(&j->h.dec);
    return NULL;
}

static uint32_t rd_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* The start of a block marker at or past `want`, hopping from the one at
 * `first`; 0 if there is none to trust. */
static uint64_t find_split(const p1_half *h, const elog_header *hdr, uint64_t first,
                           uint64_t want, uint64_t size)
{
    const elog_event_type *t = elog_header_lookup(hdr, ELOG_EV_BLOCK_MARKER);
    if (t == NULL || t->layout == NULL || t->size != 14)
        return 0;
    uint64_t m = first;
    for (unsigned hops = 0; hops < SPLIT_MAX_HOPS; hops++) {
        uint8_t rec[24];
        if (m + sizeof rec > size || !pread_all(h->fd, rec, sizeof rec, h->base + m))
            return 0;
        if (rec[0] != 0 || rec[1] != ELOG_EV_BLOCK_MARKER)
            return 0;
        if (m >= want)
            return m;
        uint32_t block_size = rd_be32(rec + 10);
        if (block_size < sizeof rec)
            return 0;
        m += block_size;
    }
    return 0;
}

static uint64_t split_min(void)
{
    const char *e = getenv("ELOG_SHOW_SPLIT_MIN");
    if (e != NULL && *e >= '0' && *e <= '9')
        return strtoull(e, NULL, 10);
    return SPLIT_MIN;
}

/* pass1_split()'s work on the input fd, `size` bytes from `base` on, read
 * through `map` if it is not NULL. */
static int pass1_halves(sorter *s, p1_half *head, int fd, uint64_t base, uint64_t size,
                        cli_map *map)
{
    /* The head's first bytes: the header and the first event. */
    if (!half_init(head, fd, base))
        return -2;
    head->map = map;
    uint64_t first_len = 0;
    while (head->st.n_runs == 0 && first_len < size &&
           first_len < SPLIT_MAX_HEADER) {
        uint64_t to = first_len + SPLIT_HEADER_STEP < size ? first_len + SPLIT_HEADER_STEP : size;
        if (!half_feed(head, first_len, to))
            return -2;
        first_len = to;
    }
    const elog_header *hdr = NULL;
    if (head->st.n_runs == 0 || (hdr = elog_get_header(&head->dec)) == NULL)
        return -2;
    uint64_t first = head->st.runs[0].start; /* the first event's (no delta in the head) */
    uint64_t split = find_split(head, hdr, first, first + (size - first) / 2, size);
    if (split <= first_len)
        return -2;

    tail_job *tail = malloc(sizeof *tail);
    if (tail == NULL)
        return -2;
    if (!half_init(&tail->h, fd, base)) {
        half_free(&tail->h);
        free(tail);
        return -2;
    }
    tail->h.map = map;
    tail->h.st.delta = split - first;
    tail->header_len = first;
    tail->from = split;
    tail->to = size;
    tail->ok = false;
    pthread_t thread;
    if (pthread_create(&thread, NULL, tail_worker, tail) != 0) {
        half_free(&tail->h);
        free(tail);
        return -2;
    }
    bool head_ok = half_feed(head, first_len, split);
    pthread_join(thread, NULL);

    /* The head must end exactly at the split, with no error; the tail must
     * have decoded to a usable end. */
    p1_state *hs = &head->st, *ts = &tail->h.st;
    bool ok = head_ok && tail->ok && !hs->gap && hs->n_runs > 0 &&
              hs->runs[hs->n_runs - 1].end == split && elog_get_offset(&head->dec) == split &&
              !hs->oom && !hs->cap_mismatch && !ts->oom && !ts->cap_mismatch &&
              ts->n_runs > 0 && ts->runs[0].start == split &&
              cli_end_usable(&tail->h.end);
    if (ok) {
        /* The runs: the head's, then the tail's (the two at the seam joined
         * when they continue each other, as a sequential pass would). */
        size_t n = hs->n_runs + ts->n_runs;
        run *all = realloc(hs->runs, n * sizeof *all);
        if (all == NULL) {
            ok = false;
        } else {
            hs->runs = all;
            size_t i = hs->n_runs;
            /* The tail's end, in file offsets and with the head's events. */
            s->end = tail->h.end;
            s->end.offset += tail->h.st.delta;
            s->end.total_bytes += tail->h.st.delta;
            for (size_t k = 0; k < i; k++)
                s->end.events += all[k].count;
            s->have_end = true;
            size_t j = 0;
            run *last = &all[i - 1];
            if (ts->runs[0].key >= last->last_time) {
                last->end = ts->runs[0].end;
                last->last_time = ts->runs[0].last_time;
                last->count += ts->runs[0].count;
                j = 1;
            }
            memcpy(all + i, ts->runs + j, (ts->n_runs - j) * sizeof *all);
            hs->n_runs = i + (ts->n_runs - j);
            hs->cap_runs = n;
        }
    }
    half_free(&tail->h);
    free(tail);
    if (!ok)
        return -2;
    return -1;
}

/* Pass 1 in two halves (see above). Returns -1 to go on with pass 2 (the
 * runs and end set, *head kept for its header), or -2 if it did not work
 * out: then nothing is set and pass 1 must run sequentially. */
static int pass1_split(sorter *s, cli_source *src, const cli_options *opt, p1_half *head)
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
    if (!pread_all(fd, magic, sizeof magic, base) || memcmp(magic, "hdrb", 4) != 0)
        return -2; /* gzip, or not an eventlog: the sequential pass says what */

    /* Both halves read through one mapping of the input when it can be
     * mapped: the kernel copies nothing then. */
    cli_map map;
    bool mapped = getenv("ELOG_SHOW_NO_MAP") == NULL &&
                  cli_map_open(&map, fd, base, size, cli_source_name(src));
    int rc = pass1_halves(s, head, fd, base, size, mapped ? &map : NULL);
    head->map = NULL;
    if (mapped)
        cli_map_close(&map);
    return rc;
}

/* ---------------------------------------------------------------- pass 2 */

static inline uint64_t be64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* The buffer of a run without a slot (an empty one: no offset from NULL). */
static uint8_t no_buf[1];

/* Moves the unread bytes to the front of the run buffer and fills the rest
 * from the input, without going past the run's end; on a run's first read,
 * takes a slot for its buffer. */
static int run_fill(sorter *s, run *r)
{
    uint32_t keep = r->len - r->pos;
    if (r->buf == no_buf) {
        if (s->n_spare > 0) {
            r->buf = s->spare[--s->n_spare];
        } else {
            r->buf = s->fresh;
            s->fresh += s->slot;
        }
    }
    /* The unread bytes go to the front, give or take COPY_ALIGN: where the
     * next byte read lands at the same offset modulo COPY_ALIGN as in the
     * file, so that the kernel's copy runs at full speed (see copy_dst). */
    uint32_t at = (uint32_t)((s->store.base + r->next - keep) & (COPY_ALIGN - 1));
    if (keep > 0 && r->pos != at)
        memmove(r->buf + at, r->buf + r->pos, keep);
    r->pos = at;
    r->len = at + keep;
    uint64_t want = r->cap - keep;
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

/* A run is done: its slot goes back. */
static void run_done(sorter *s, run *r)
{
    if (r->buf != no_buf)
        s->spare[s->n_spare++] = r->buf;
    r->buf = no_buf;
}

static void report_changed(const sorter *s, uint64_t off, const char *what)
{
    cli_error("%s: input changed between passes: %s (at byte offset %llu)",
              s->name, what, (unsigned long long)off);
}

/* Notes an inconsistency of the merge; pass2() reports it at the end. */
static int changed(sorter *s, uint64_t off, const char *what)
{
    if (!s->bad) {
        s->bad = true;
        s->bad_what = what;
        s->bad_off = off;
    }
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
 * for this run); *rec is where its bytes are meanwhile. */
static int run_decode(sorter *s, run *r, elog_event *ev, const uint8_t **rec)
{
    uint64_t off = r->next - (r->len - r->pos);
    for (;;) {
        size_t avail = r->len - r->pos;
        size_t need = 0;
        elog_status st = elog_decode_record(s->h, r->buf + r->pos, avail, off, ev, &need);
        if (st == ELOG_OK) {
            *rec = r->buf + r->pos;
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
            *rec = s->scratch;
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

/* Record sizes by event id, so that the merge can step over records
 * without decoding them (the formatter decodes them). */
#define RSIZE_VARIABLE 0u          /* 12 + the u16 at byte 10 */
#define RSIZE_SLOW UINT32_MAX      /* undeclared: run_decode() says what */

static int map_record_sizes(sorter *s)
{
    uint32_t n = s->h->by_id_len_;
    s->rsize = malloc((n > 0 ? n : 1) * sizeof *s->rsize);
    if (s->rsize == NULL)
        return -1;
    for (uint32_t id = 0; id < n; id++) {
        const elog_event_type *t = elog_header_lookup(s->h, (uint16_t)id);
        s->rsize[id] = t == NULL ? RSIZE_SLOW
                       : t->size == ELOG_VARIABLE_SIZE ? RSIZE_VARIABLE
                                                       : 10u + t->size;
    }
    s->n_rsize = n;
    return 0;
}

/* Steps over the run's next record: *rec is where its *size bytes are until
 * the next call for this run. Records that are whole in the buffer only have
 * their size worked out (as elog_decode_record() does); the others, and
 * undeclared ids, go through run_decode(). */
static inline int run_next(sorter *s, run *r, const uint8_t **rec, uint32_t *size)
{
    uint32_t avail = r->len - r->pos;
    const uint8_t *p = r->buf + r->pos;
    if (__builtin_expect(avail >= 12, 1)) {
        uint16_t id = (uint16_t)(p[0] << 8 | p[1]);
        uint32_t n = id < s->n_rsize ? s->rsize[id] : RSIZE_SLOW;
        if (n == RSIZE_VARIABLE)
            n = 12u + (uint32_t)(p[10] << 8 | p[11]);
        if (__builtin_expect(n <= avail, 1)) {
            *rec = p;
            *size = n;
            r->pos += n;
            return 0;
        }
    }
    elog_event ev;
    if (run_decode(s, r, &ev, rec) != 0)
        return -1;
    *size = ev.size;
    return 0;
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

/* memcpy for records, most of which are 10 to 32 bytes. */
static inline void copy_record(uint8_t *to, const uint8_t *from, uint32_t n)
{
    if (n >= 8 && n <= 16) {
        uint64_t a, z;
        memcpy(&a, from, 8);
        memcpy(&z, from + n - 8, 8);
        memcpy(to, &a, 8);
        memcpy(to + n - 8, &z, 8);
    } else if (n > 16 && n <= 32) {
        uint8_t a[16], z[16];
        memcpy(a, from, 16);
        memcpy(z, from + n - 16, 16);
        memcpy(to, a, 16);
        memcpy(to + n - 16, z, 16);
    } else {
        memcpy(to, from, n);
    }
}

/* The capability of a record of `size` bytes at `rec` and the run's block
 * state after it, as elog_block_state_apply() has them. Only block markers
 * need decoding. */
static inline int record_cap(sorter *s, run *r, const uint8_t *rec, uint32_t size,
                             uint64_t off, uint16_t *cap)
{
    uint16_t id = (uint16_t)(rec[0] << 8 | rec[1]);
    if (__builtin_expect(id != ELOG_EV_BLOCK_MARKER, 1)) {
        /* Inside a block, a record that does not reach its end keeps the
         * block's capability: elog_block_state_apply() made short. */
        if (r->bs.remaining > (int64_t)size) {
            *cap = r->bs.cap;
            r->bs.remaining -= size;
            return 0;
        }
        elog_event ev;
        ev.id = id;
        ev.size = size;
        ev.layout = NULL;
        elog_block_state_apply(&r->bs, &ev, false);
        *cap = ev.cap;
        return 0;
    }
    elog_event ev;
    size_t need = 0;
    elog_status st = elog_decode_record(s->h, rec, size, off, &ev, &need);
    if (st != ELOG_OK)
        return changed(s, off, elog_status_name(st));
    elog_block_state_apply(&r->bs, &ev, false);
    *cap = ev.cap;
    return 0;
}

/* The merge's common case, in a loop of its own that keeps the run's and
 * the batch's state in locals (the record copies are byte stores, which
 * would otherwise make the compiler reload all of it for every record):
 * records of the lead run that are whole in its buffer with the next
 * record's time after them, are not block markers and do not reach the end
 * of their block, with room in the batch. Stops at anything else, which the
 * caller's loop then handles record by record, before touching it. Returns
 * true if the lead goes to another run (r->key is then its next key). */
static inline bool merge_burst(sorter *s, run *r, batch *b, uint32_t top, uint64_t bkey,
                               uint32_t bidx)
{
    const uint8_t *buf = r->buf;
    uint32_t pos = r->pos, len = r->len;
    uint64_t off_base = r->next - len; /* stream offset of buf[0] */
    int64_t rem = r->bs.remaining;
    uint16_t bcap = r->bs.cap;
    uint64_t count = r->count, key = r->key;
    uint32_t bn = b->n;
    size_t raw_len = b->raw_len;
    const uint32_t *rsize = s->rsize;
    uint32_t n_rsize = s->n_rsize;
    bool leave = false;
    /* Records it may take: the run's last one and a full batch stop it. */
    uint64_t todo = count - 1;
    if (todo > BATCH_EVENTS - bn)
        todo = BATCH_EVENTS - bn;
    for (; todo > 0 && raw_len <= BATCH_RAW - ELOG_MAX_RECORD_SIZE; todo--) {
        uint32_t avail = len - pos;
        if (avail < 12)
            break;
        const uint8_t *p = buf + pos;
        uint16_t id = (uint16_t)(p[0] << 8 | p[1]);
        uint64_t n = id < n_rsize ? rsize[id] : RSIZE_SLOW;
        if (n == RSIZE_VARIABLE)
            n = 12u + (uint32_t)(p[10] << 8 | p[11]);
        /* The record and the next one's time in the buffer (this also
         * stops at RSIZE_SLOW), inside its block. */
        if (n + 10 > avail || id == ELOG_EV_BLOCK_MARKER || rem <= (int64_t)n ||
            be64(p + 2) != key)
            break;
        copy_record(b->raw + raw_len, p, (uint32_t)n);
        raw_len += n;
        b->cap[bn] = bcap;
        b->off[bn] = off_base + pos;
        bn++;
        rem -= (int64_t)n;
        pos += (uint32_t)n;
        count--;
        key = be64(buf + pos + 2);
        if (key > bkey || (key == bkey && top > bidx)) {
            leave = true;
            break;
        }
    }
    r->pos = pos;
    r->bs.remaining = rem;
    r->count = count;
    r->key = key;
    b->n = bn;
    b->raw_len = raw_len;
    return leave;
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

    /* Not through a mapping, as pass 1: runs far apart in the file are
     * merged at once (a capability's block can span much of the run time),
     * and each would keep the pages it touched mapped until it is done:
     * tens of MiB on a 1 GB log, where these buffers take a few. */
    uint64_t per = MERGE_BUDGET / n;
    if (per < RUN_BUF_MIN)
        per = RUN_BUF_MIN;
    if (per > RUN_BUF_MAX)
        per = RUN_BUF_MAX;
    per &= ~(uint64_t)(COPY_ALIGN - 1); /* aligned_alloc wants a multiple */
    for (size_t i = 0; i < n; i++) {
        run *r = &s->runs[i];
        uint64_t len = r->end - r->start;
        r->cap = (uint32_t)(len < per ? len : per);
    }
    /* Room for every run at once (n * per: within the budget, or
     * RUN_BUF_MIN a run), but a run only takes a slot when it is first read
     * and gives it back when it is done, and given-back slots are reused
     * first. The memory touched is then the slots of the runs being merged
     * at the same time, which stay in the cache, instead of a fresh buffer
     * for every run: those pages were each faulted in and zeroed for one
     * use (about a third of the system time on a 35 MB log). */
    s->slot = (uint32_t)per + COPY_ALIGN;
    uint8_t *arena = NULL;
    if (n <= SIZE_MAX / s->slot)
        arena = aligned_alloc(COPY_ALIGN, n * s->slot);
    s->spare = malloc(n * sizeof *s->spare);
    s->n_spare = 0;
    s->fresh = arena;
    s->heap = malloc(n * sizeof *s->heap);
    s->scratch = malloc(ELOG_MAX_RECORD_SIZE);
    if (arena == NULL || s->spare == NULL || s->heap == NULL || s->scratch == NULL ||
        map_record_sizes(s) != 0) {
        free(arena);
        cli_error("%s: out of memory merging %zu sorted runs", s->name, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        run *r = &s->runs[i];
        r->buf = no_buf;
        r->pos = r->len = 0;
        r->next = r->start;
        s->heap[i] = (uint32_t)i;
    }
    s->heap_len = n;
    /* Keys are the runs' first times; build the heap bottom-up. */
    for (size_t i = n / 2; i-- > 0;)
        heap_sift_down(s, i);

    formatter f;
    uint64_t events = 0;
    for (size_t i = 0; i < n; i++)
        events += s->runs[i].count;
    if (formatter_start(&f, s->out, s->h, events) != 0) {
        free(arena);
        cli_error("%s: out of memory merging %zu sorted runs", s->name, n);
        return -1;
    }

    /* The heap's top run keeps the lead while its next key stays below the
     * best of the others (the top's better child): events are emitted in
     * stretches, and the heap is touched only when the lead changes. */
    int rc = 0;
    bool stop = false;
    batch *b = formatter_current(&f);
    while (s->heap_len > 0 && !stop) {
        uint32_t top = s->heap[0];
        run *r = &s->runs[top];
        uint64_t bkey = UINT64_MAX;
        uint32_t bidx = UINT32_MAX;
        if (s->heap_len > 1) {
            uint32_t c = s->heap[1];
            if (s->heap_len > 2 && heap_less(s, s->heap[2], c))
                c = s->heap[2];
            bkey = s->runs[c].key;
            bidx = c;
        }
        for (;;) {
            if (merge_burst(s, r, b, top, bkey, bidx))
                break;
            if (b->n == BATCH_EVENTS || b->raw_len > BATCH_RAW - ELOG_MAX_RECORD_SIZE) {
                if (!formatter_push(&f)) {
                    stop = true;
                    break;
                }
                b = formatter_current(&f);
            }
            uint64_t off = r->next - (r->len - r->pos);
            const uint8_t *rec;
            uint32_t size;
            uint16_t cap;
            if (run_next(s, r, &rec, &size) != 0) {
                rc = -1;
                stop = true;
                break;
            }
            if (be64(rec + 2) != r->key) {
                rc = changed(s, off, "timestamp differs");
                stop = true;
                break;
            }
            if (record_cap(s, r, rec, size, off, &cap) != 0) {
                rc = -1;
                stop = true;
                break;
            }
            copy_record(b->raw + b->raw_len, rec, size);
            b->raw_len += size;
            b->cap[b->n] = cap;
            b->off[b->n] = off;
            b->n++;
            if (--r->count == 0) {
                run_done(s, r); /* *rec is in the batch by now */
                s->heap[0] = s->heap[--s->heap_len];
                break;
            }
            if (run_peek_time(s, r, &r->key) != 0) {
                rc = -1;
                stop = true;
                break;
            }
            if (r->key > bkey || (r->key == bkey && top > bidx))
                break;
        }
        if (!stop && s->heap_len > 0)
            heap_sift_down(s, 0);
    }
    /* The events merged so far are output even after an error; the first
     * inconsistency in output order is the one reported. */
    formatter_finish(&f);
    if (f.oom) {
        cli_error("%s: out of memory formatting events", s->name);
        rc = -1;
    } else if (f.bad) {
        report_changed(s, f.bad_off, elog_status_name(f.bad_status));
        rc = -1;
    } else if (s->bad) {
        report_changed(s, s->bad_off, s->bad_what);
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
        /* Live input: a signal ends it and what arrived is printed. */
        .interruptible = opt->follow || cli_source_is_socket(source),
        .connect_timeout_ms = opt->connect_timeout_ms,
        .progress = true,
    };
    cli_source *src = cli_source_open(source, &cfg);
    if (src == NULL)
        return CLI_EXIT_BAD_INPUT;
    s.name = cli_source_name(src);
    cli_store_init(&s.store, s.name);

    static p1_half head; /* large (a decoder and its settings); one per process */
    memset(&head, 0, sizeof head);
    elog_decoder *dec = NULL;
    int rc = pass1_split(&s, src, opt, &head);
    if (rc == -1) {
        dec = &head.dec;
        s.runs = head.st.runs;
        s.n_runs = head.st.n_runs;
        head.st.runs = NULL;
        if (cli_store_begin(&s.store, src) != 0)
            rc = CLI_EXIT_BAD_INPUT;
    } else {
        half_free(&head);
        rc = pass1(&s, src, &dec);
        s.runs = s.p1.runs;
        s.n_runs = s.p1.n_runs;
    }
    if (rc == -1) {
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
    free(s.rsize);
    free(s.spare);
    half_free(&head);
    cli_store_close(&s.store);
    cli_source_close(src);
    return rc;
}
