/*
 * Pass 1 of the time-ordered merge over a plain regular file, in two halves
 * decoded at once: the head [0, S) on the caller's thread and the tail
 * [S, end) on another, with a second decoder fed the header bytes and then
 * the tail (its offsets are S - F too small, F being where the events
 * begin). S is the start of a block marker near the middle, found by
 * hopping from block to block by their sizes. A block marker resets the
 * block state, so the tail decodes exactly as it would after the head,
 * provided the head's records tile [F, S) exactly (no end marker, nothing
 * left over) and neither half failed. Then the runs are the head's followed
 * by the tail's and the end is the tail's; in every other case the halves
 * are thrown away and the caller runs pass 1 sequentially, so this only
 * ever saves time.
 */
#include "order_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Mapped input is decoded this many bytes at a time, and the memory behind
 * given back as often: each give-back interrupts the other half's CPU (a TLB
 * shootdown), while larger steps keep more of the page cache mapped
 * (bench/RESULTS.md, show). */
#define MAP_STEP (512u * 1024u)
#define SPLIT_CHUNK (256u * 1024u)
#define SPLIT_MAX_HOPS 100000u
#define SPLIT_HEADER_STEP (4u * 1024u)
#define SPLIT_MAX_HEADER (64u * 1024u * 1024u)

typedef struct half {
    elog_settings settings;
    elog_decoder dec;
    order_p1 st;
    int fd;
    uint64_t base;          /* file position of stream offset 0 */
    uint8_t *buf;           /* SPLIT_CHUNK + COPY_ALIGN bytes, COPY_ALIGN-aligned */
    const uint8_t *map;     /* the input mapped from `base` on, or NULL: pread */
    uint64_t map_len;
    uint64_t dropped;       /* mapped: memory given back up to here */
    bool inited;
    elog_end end;
} half;

static int half_on_event(elog_decoder *d, const elog_event *ev)
{
    half *h = d->data;
    return order_p1_record(&h->st, ev);
}

static bool half_init(half *h, int fd, uint64_t base, unsigned options, size_t max_runs)
{
    memset(h, 0, sizeof *h);
    h->fd = fd;
    h->base = base;
    h->buf = aligned_alloc(ORDER_COPY_ALIGN, SPLIT_CHUNK + ORDER_COPY_ALIGN);
    order_p1_init(&h->st, max_runs);
    elog_settings_init(&h->settings);
    h->settings.on_event = half_on_event;
    h->settings.options = options;
    elog_decoder_init(&h->dec, &h->settings, h);
    h->inited = true;
    return h->buf != NULL;
}

static void half_free(half *h)
{
    if (!h->inited)
        return;
    h->inited = false;
    elog_decoder_free(&h->dec);
    free(h->buf);
    order_p1_free(&h->st);
    h->buf = NULL;
}

/* Where in a COPY_ALIGN-aligned buffer to read the bytes at file position
 * `pos`: at the same offset modulo COPY_ALIGN. The kernel copies out of the
 * page cache with `rep movsb`, which on AMD Zen 3 runs ~4x slower when the
 * destination is 1-31 bytes past the source modulo 4096. */
static inline uint8_t *copy_dst(uint8_t *buf, uint64_t pos)
{
    return buf + (pos & (ORDER_COPY_ALIGN - 1));
}

static uint64_t map_drop(const half *h, uint64_t from, uint64_t to)
{
    static size_t page;
    if (page == 0) {
        long p = sysconf(_SC_PAGESIZE);
        page = p > 0 ? (size_t)p : 4096;
    }
    uintptr_t a = (uintptr_t)(h->map + from), z = (uintptr_t)(h->map + to);
    a = (a + page - 1) & ~(uintptr_t)(page - 1);
    z &= ~(uintptr_t)(page - 1);
    if (a >= z)
        return from;
    (void)madvise((void *)a, z - a, MADV_DONTNEED);
    return (uint64_t)((const uint8_t *)z - h->map);
}

/* Feeds stream bytes [from, to) to the half's decoder. false on a read or
 * decode error (or a callback's abort): the sequential pass will say what. */
static bool half_feed(half *h, uint64_t from, uint64_t to)
{
    if (h->map != NULL) {
        if (to > h->map_len)
            return false;
        if (h->dropped < from)
            h->dropped = from; /* the tail's first bytes are not the header's */
        while (from < to) {
            size_t n = to - from < MAP_STEP ? (size_t)(to - from) : MAP_STEP;
            elog_result r = elog_execute(&h->dec, h->map + from, n);
            if (r.status != ELOG_OK)
                return false;
            from += n;
            /* The decoder keeps no pointer into what it was given. */
            if (from - h->dropped >= MAP_STEP)
                h->dropped = map_drop(h, h->dropped, from);
        }
        return true;
    }
    while (from < to) {
        size_t n = to - from < SPLIT_CHUNK ? (size_t)(to - from) : SPLIT_CHUNK;
        uint8_t *dst = copy_dst(h->buf, h->base + from);
        if (order_pread_full(h->fd, dst, n, h->base + from) != 0)
            return false;
        elog_result r = elog_execute(&h->dec, dst, n);
        if (r.status != ELOG_OK)
            return false;
        from += n;
    }
    return true;
}

typedef struct tail_job {
    half h;
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
static uint64_t find_split(const half *h, const elog_header *hdr, uint64_t first, uint64_t want,
                           uint64_t size)
{
    const elog_event_type *t = elog_header_lookup(hdr, ELOG_EV_BLOCK_MARKER);
    if (t == NULL || t->layout == NULL || t->size != 14)
        return 0;
    uint64_t m = first;
    for (unsigned hops = 0; hops < SPLIT_MAX_HOPS; hops++) {
        uint8_t rec[24];
        if (m + sizeof rec > size || order_pread_full(h->fd, rec, sizeof rec, h->base + m) != 0)
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

static bool end_usable(const elog_end *e)
{
    return e->kind == ELOG_END_CLEAN || e->kind == ELOG_END_TRUNCATED_BETWEEN_EVENTS ||
           e->kind == ELOG_END_TRUNCATED_IN_EVENT;
}

/* 1 done, 0 not (nothing recorded), -1 out of memory. */
static int halves(elog_order *o, half *head, int fd, uint64_t base, uint64_t size,
                  const uint8_t *map, elog_end *end)
{
    size_t max_runs = order_max_runs(o);
    if (!half_init(head, fd, base, o->opts.decoder_options, max_runs))
        return 0;
    head->map = map;
    head->map_len = size;
    uint64_t first_len = 0;
    while (head->st.n_runs == 0 && first_len < size && first_len < SPLIT_MAX_HEADER) {
        uint64_t to = first_len + SPLIT_HEADER_STEP < size ? first_len + SPLIT_HEADER_STEP : size;
        if (!half_feed(head, first_len, to))
            return 0;
        first_len = to;
    }
    const elog_header *hdr = NULL;
    if (head->st.n_runs == 0 || (hdr = elog_get_header(&head->dec)) == NULL)
        return 0;
    uint64_t first = head->st.runs[0].start;
    uint64_t split = find_split(head, hdr, first, first + (size - first) / 2, size);
    if (split <= first_len)
        return 0;

    tail_job *tail = malloc(sizeof *tail);
    if (tail == NULL)
        return 0;
    if (!half_init(&tail->h, fd, base, o->opts.decoder_options, max_runs)) {
        half_free(&tail->h);
        free(tail);
        return 0;
    }
    tail->h.map = map;
    tail->h.map_len = size;
    tail->h.st.delta = split - first;
    tail->header_len = first;
    tail->from = split;
    tail->to = size;
    tail->ok = false;
    pthread_t thread;
    if (pthread_create(&thread, NULL, tail_worker, tail) != 0) {
        half_free(&tail->h);
        free(tail);
        return 0;
    }
    bool head_ok = half_feed(head, first_len, split);
    pthread_join(thread, NULL);

    /* The head must end exactly at the split, with no error; the tail must
     * have decoded to a usable end; neither may have coalesced (their
     * tables are joined as they are, and must fit one). */
    order_p1 *hs = &head->st, *ts = &tail->h.st;
    bool ok = head_ok && tail->ok && !hs->gap && hs->n_runs > 0 && hs->cur != NULL &&
              hs->runs[hs->n_runs - 1].end == split && elog_get_offset(&head->dec) == split &&
              !hs->oom && !hs->cap_mismatch && !ts->oom && !ts->cap_mismatch &&
              ts->n_runs > 0 && ts->runs[0].start == split && ts->runs[0].kind == RUN_SORTED &&
              hs->range_bytes == ts->range_bytes && hs->n_runs + ts->n_runs <= max_runs &&
              end_usable(&tail->h.end);
    for (size_t i = 0; ok && i < hs->n_runs; i++)
        ok = hs->runs[i].kind == RUN_SORTED;
    for (size_t i = 0; ok && i < ts->n_runs; i++)
        ok = ts->runs[i].kind == RUN_SORTED;
    if (ok) {
        /* The runs: the head's, then the tail's (the two at the seam joined
         * when they continue each other, as a sequential pass would). */
        size_t n = hs->n_runs + ts->n_runs;
        order_run *all = realloc(hs->runs, n * sizeof *all);
        if (all == NULL) {
            ok = false;
        } else {
            hs->runs = all;
            size_t i = hs->n_runs;
            /* The tail's end, in file offsets and with the head's events. */
            *end = tail->h.end;
            end->offset += tail->h.st.delta;
            end->total_bytes += tail->h.st.delta;
            for (size_t k = 0; k < i; k++)
                end->events += all[k].count;
            size_t j = 0;
            order_run *last = &all[i - 1];
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
    return ok ? 1 : 0;
}

int elog_order_scan_fd(elog_order *o, int fd, uint64_t base, uint64_t size, const uint8_t *map,
                       elog_end *end)
{
    if (o->p1.n_runs > 0 || o->scan != NULL || o->opts.no_threads ||
        sysconf(_SC_NPROCESSORS_ONLN) < 2)
        return 0;
    uint8_t magic[4];
    if (size < 64)
        return 0;
    if (map != NULL)
        memcpy(magic, map, sizeof magic);
    else if (order_pread_full(fd, magic, sizeof magic, base) != 0)
        return 0;
    if (memcmp(magic, "hdrb", 4) != 0)
        return 0; /* gzip, or not an eventlog: the sequential pass says what */
    half *head = calloc(1, sizeof *head);
    if (head == NULL)
        return -1;
    int rc = halves(o, head, fd, base, size, map, end);
    head->map = NULL;
    if (rc != 1) {
        half_free(head);
        free(head);
        return rc;
    }
    /* The head's runs become the order's; its decoder keeps the header. */
    order_p1_free(&o->p1);
    o->p1.runs = head->st.runs;
    o->p1.n_runs = head->st.n_runs;
    o->p1.cap_runs = head->st.cap_runs;
    o->p1.cur = NULL;
    head->st.runs = NULL;
    head->st.n_runs = head->st.cap_runs = 0;
    o->scan = head;
    return 1;
}

const elog_header *elog_order_header(const elog_order *o)
{
    const half *head = o->scan;
    return head != NULL ? elog_get_header(&head->dec) : NULL;
}

void order_scan_free(elog_order *o)
{
    half *head = o->scan;
    if (head != NULL) {
        half_free(head);
        free(head);
        o->scan = NULL;
    }
}

elog_decoder *order_scan_decoder(elog_order *o)
{
    half *head = o->scan;
    return head != NULL ? &head->dec : NULL;
}
