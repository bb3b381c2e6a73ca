/*
 * Bounded fan-in for the time-ordered merge: when pass 1 found more runs
 * than one merge can read at once within the memory budget (or coalesced
 * some into unsorted ranges to bound its table), they are first brought
 * down as external sorts do:
 *   - an unsorted range is read in chunks that fit the budget; each chunk's
 *     records are sorted in memory by (time, position) and written out as
 *     one sorted run;
 *   - runs are merged in groups of at most order_max_runs() consecutive
 *     ones into one, level by level (a level's group full: merged into one
 *     run of the next level).
 * The runs written go to one unlinked temporary file, each record after a
 * 10-byte tag (its capability and stream offset): the final merge needs
 * no block state for them. Groups are always consecutive stretches of the
 * stream and stay in stream order, so ties still go to the earlier event.
 * The space of runs merged into others is given back (hole punching), so
 * the file holds at most about two copies of the stream plus the tags.
 */
#include "order_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TAG 10u
#define WBUF (1u << 20)
#define MAX_LEVELS 16

typedef struct run_list {
    order_run *v;
    size_t n, cap;
} run_list;

typedef struct passes {
    elog_order *o;
    uint8_t *wbuf;
    size_t wlen;
    run_list level[MAX_LEVELS];
    int levels;
    order_run out;          /* the run being written */
} passes;

static int tmp_create(elog_order *o)
{
    const char *dir = o->opts.tmpdir;
    if (dir == NULL || *dir == '\0')
        dir = getenv("TMPDIR");
    if (dir == NULL || *dir == '\0')
        dir = "/tmp";
    char tmpl[4096];
    if ((size_t)snprintf(tmpl, sizeof tmpl, "%s/eventlog-merge-XXXXXX", dir) >= sizeof tmpl) {
        order_set_error(o, "temporary directory name too long: %s", dir);
        return -1;
    }
    int fd = mkostemp(tmpl, O_CLOEXEC);
    if (fd < 0) {
        order_set_error(o, "cannot create a temporary file in %s: %s (set TMPDIR to a "
                           "directory with room)",
                        dir, strerror(errno));
        return -1;
    }
    (void)unlink(tmpl);
    o->tmp_fd = fd;
    o->tmp_len = 0;
    return 0;
}

static int wflush(passes *ps)
{
    elog_order *o = ps->o;
    size_t done = 0;
    while (done < ps->wlen) {
        ssize_t n = pwrite(o->tmp_fd, ps->wbuf + done, ps->wlen - done,
                           (off_t)(o->tmp_len + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            order_set_error(o, "cannot write the temporary file of the merge: %s (set "
                               "TMPDIR to a directory with room)",
                            n < 0 ? strerror(errno) : "no progress");
            return -1;
        }
        done += (size_t)n;
    }
    o->tmp_len += ps->wlen;
    ps->wlen = 0;
    return 0;
}

static void out_begin(passes *ps)
{
    memset(&ps->out, 0, sizeof ps->out);
    ps->out.kind = RUN_TAGGED;
    ps->out.start = ps->o->tmp_len + ps->wlen;
    ps->out.end = ps->out.start;
}

static int put(void *ctx, const uint8_t *rec, uint32_t size, uint16_t cap, uint64_t off)
{
    passes *ps = ctx;
    if (ps->wlen + TAG + size > WBUF && wflush(ps) != 0)
        return -1;
    uint8_t *w = ps->wbuf + ps->wlen;
    w[0] = (uint8_t)(cap >> 8);
    w[1] = (uint8_t)cap;
    for (int i = 0; i < 8; i++)
        w[2 + i] = (uint8_t)(off >> (56 - 8 * i));
    memcpy(w + TAG, rec, size);
    ps->wlen += TAG + size;
    ps->out.end += TAG + size;
    ps->out.count++;
    return 0;
}

static int out_end(passes *ps)
{
    return wflush(ps);
}

static int push(passes *ps, int lv, const order_run *r);

/* Merges the whole of level `lv` into one run of level lv + 1. */
static int merge_level(passes *ps, int lv)
{
    elog_order *o = ps->o;
    run_list *l = &ps->level[lv];
    if (l->n == 0)
        return 0;
    if (lv + 1 >= MAX_LEVELS) {
        order_set_error(o, "internal error: too many merge levels");
        return -1;
    }
    out_begin(ps);
    if (order_merge_all(o, l->v, l->n, put, ps) != 0 || out_end(ps) != 0)
        return -1;
    /* The runs merged give their space back. */
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].kind == RUN_TAGGED && l->v[i].end > l->v[i].start)
            (void)fallocate(o->tmp_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                            (off_t)l->v[i].start, (off_t)(l->v[i].end - l->v[i].start));
    l->n = 0;
    order_run merged = ps->out;
    return push(ps, lv + 1, &merged);
}

static int push(passes *ps, int lv, const order_run *r)
{
    run_list *l = &ps->level[lv];
    if (lv >= ps->levels)
        ps->levels = lv + 1;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? 2 * l->cap : 64;
        order_run *nv = realloc(l->v, ncap * sizeof *nv);
        if (nv == NULL) {
            order_set_error(ps->o, "out of memory merging runs");
            return -1;
        }
        l->v = nv;
        l->cap = ncap;
    }
    l->v[l->n++] = *r;
    if (l->n >= order_max_runs(ps->o))
        return merge_level(ps, lv);
    return 0;
}

typedef struct idx_entry {
    uint64_t time;
    uint32_t pos;
    uint16_t cap;
} idx_entry;

static int idx_cmp(const void *a, const void *b)
{
    const idx_entry *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Sorts the unsorted range `e` in chunks, pushing each as a run. */
static int sort_range(passes *ps, const order_run *e, uint8_t *buf, size_t buf_cap,
                      idx_entry *idx, size_t idx_max)
{
    elog_order *o = ps->o;
    uint64_t pos = e->start;    /* stream offset of buf[0] */
    size_t have = 0;
    uint64_t count = e->count;
    elog_block_state bs = e->bs;
    while (count > 0) {
        uint64_t want = buf_cap - have;
        if (want > e->end - (pos + have))
            want = e->end - (pos + have);
        if (want > 0) {
            if (o->read(o->read_ctx, buf + have, (size_t)want, pos + have) != 0)
                return -1;
            have += (size_t)want;
        }
        size_t k = 0, n = 0;
        while (count > 0 && n < idx_max) {
            if (have - k >= 2 && buf[k] == 0xff && buf[k + 1] == 0xff) {
                k += 2; /* an end-of-data marker between events (see coalesce()) */
                continue;
            }
            uint32_t size = order_record_size(o, buf + k, have - k);
            elog_event ev;
            bool marker = have - k >= 2 && buf[k] == 0 && buf[k + 1] == ELOG_EV_BLOCK_MARKER;
            if (size == RSIZE_SLOW || marker) {
                size_t need = 0;
                elog_status st = elog_decode_record(o->h, buf + k, have - k, pos + k, &ev, &need);
                if (st == ELOG_NEED_MORE)
                    break;
                if (st != ELOG_OK) {
                    order_set_error(o, "input changed between passes: %s (at byte offset %llu)",
                                    elog_status_name(st), (unsigned long long)(pos + k));
                    return -1;
                }
                size = (uint32_t)need;
            } else {
                if (size > have - k)
                    break;
                ev.id = (uint16_t)(buf[k] << 8 | buf[k + 1]);
                ev.size = size;
                ev.layout = NULL;
            }
            elog_block_state_apply(&bs, &ev, false);
            idx[n].time = order_be64(buf + k + 2);
            idx[n].pos = (uint32_t)k;
            idx[n].cap = ev.cap;
            n++;
            k += size;
            count--;
        }
        if (n == 0) {
            order_set_error(o, "input changed between passes: record cut short (at byte "
                               "offset %llu)",
                            (unsigned long long)pos);
            return -1;
        }
        qsort(idx, n, sizeof *idx, idx_cmp);
        out_begin(ps);
        for (size_t i = 0; i < n; i++) {
            const uint8_t *rec = buf + idx[i].pos;
            uint32_t size = order_record_size(o, rec, have - idx[i].pos);
            if (size == RSIZE_SLOW) {
                elog_event ev;
                size_t need = 0;
                (void)elog_decode_record(o->h, rec, have - idx[i].pos, pos + idx[i].pos, &ev,
                                         &need);
                size = (uint32_t)need;
            }
            if (put(ps, rec, size, idx[i].cap, pos + idx[i].pos) != 0)
                return -1;
        }
        if (out_end(ps) != 0)
            return -1;
        order_run r = ps->out;
        if (push(ps, 0, &r) != 0)
            return -1;
        memmove(buf, buf + k, have - k);
        pos += k;
        have -= k;
    }
    return 0;
}

int order_passes(elog_order *o)
{
    order_p1 *p1 = &o->p1;
    size_t fan = order_max_runs(o);
    bool ranges = false;
    for (size_t i = 0; i < p1->n_runs && !ranges; i++)
        ranges = p1->runs[i].kind == RUN_RANGE;
    if (!ranges && p1->n_runs <= fan)
        return 0;

    passes ps;
    memset(&ps, 0, sizeof ps);
    ps.o = o;
    /* A quarter of the budget for a chunk's bytes, a quarter for its index. */
    size_t buf_cap = o->opts.memory_budget / 4;
    if (buf_cap < 2 * ELOG_MAX_RECORD_SIZE)
        buf_cap = 2 * ELOG_MAX_RECORD_SIZE;
    size_t idx_max = o->opts.memory_budget / 4 / sizeof(idx_entry);
    if (idx_max < 16)
        idx_max = 16;
    uint8_t *buf = NULL;
    idx_entry *idx = NULL;
    ps.wbuf = malloc(WBUF);
    int rc = -1;
    if (ps.wbuf == NULL) {
        order_set_error(o, "out of memory");
        goto out;
    }
    if (tmp_create(o) != 0)
        goto out;
    for (size_t i = 0; i < p1->n_runs; i++) {
        order_run *e = &p1->runs[i];
        if (e->kind == RUN_SORTED) {
            if (push(&ps, 0, e) != 0)
                goto out;
            continue;
        }
        if (buf == NULL) {
            buf = malloc(buf_cap);
            idx = malloc(idx_max * sizeof *idx);
            if (buf == NULL || idx == NULL) {
                order_set_error(o, "out of memory sorting runs");
                goto out;
            }
        }
        if (sort_range(&ps, e, buf, buf_cap, idx, idx_max) != 0)
            goto out;
    }
    free(buf);
    free(idx);
    buf = NULL;
    idx = NULL;
    /* What is left: the levels, highest (earliest in the stream) first;
     * merge the lowest levels until one merge can take the rest. */
    for (;;) {
        size_t total = 0;
        for (int lv = 0; lv < ps.levels; lv++)
            total += ps.level[lv].n;
        if (total <= fan)
            break;
        int lv = 0;
        while (ps.level[lv].n == 0)
            lv++;
        if (merge_level(&ps, lv) != 0)
            goto out;
    }
    size_t total = 0;
    for (int lv = 0; lv < ps.levels; lv++)
        total += ps.level[lv].n;
    order_run *all = malloc((total > 0 ? total : 1) * sizeof *all);
    if (all == NULL) {
        order_set_error(o, "out of memory");
        goto out;
    }
    size_t k = 0;
    for (int lv = ps.levels; lv-- > 0;) {
        memcpy(all + k, ps.level[lv].v, ps.level[lv].n * sizeof *all);
        k += ps.level[lv].n;
    }
    free(p1->runs);
    p1->runs = all;
    p1->n_runs = p1->cap_runs = total;
    p1->cur = NULL;
    rc = 0;
out:
    free(buf);
    free(idx);
    free(ps.wbuf);
    for (int lv = 0; lv < MAX_LEVELS; lv++)
        free(ps.level[lv].v);
    return rc;
}
