/*
 * elog_sorter_set: several sorted logs merged into one time order (for
 * `eventlog merge` and exports of several logs). Each sorter has at most one
 * pending event, kept in a small heap keyed by (time, source index); an
 * event's slices point into its sorter's batch, valid until that sorter is
 * advanced, which happens only at the next call.
 */
#include "order_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct pending {
    elog_event ev;
    size_t source;
} pending;

struct elog_sorter_set {
    elog_sorter **src;
    size_t n;
    pending *heap;
    size_t len;
    bool primed;
    bool advance;           /* the last event returned came from `last` */
    size_t last;
    size_t failed;          /* the source that failed, or n */
};

static bool before(const pending *a, const pending *b)
{
    return a->ev.time < b->ev.time || (a->ev.time == b->ev.time && a->source < b->source);
}

static void sift_down(elog_sorter_set *m, size_t i)
{
    pending x = m->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= m->len)
            break;
        if (c + 1 < m->len && before(&m->heap[c + 1], &m->heap[c]))
            c++;
        if (!before(&m->heap[c], &x))
            break;
        m->heap[i] = m->heap[c];
        i = c;
    }
    m->heap[i] = x;
}

static void sift_up(elog_sorter_set *m, size_t i)
{
    pending x = m->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(&x, &m->heap[p]))
            break;
        m->heap[i] = m->heap[p];
        i = p;
    }
    m->heap[i] = x;
}

elog_sorter_set *elog_sorter_set_new(elog_sorter *const *sorters, size_t n)
{
    elog_sorter_set *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    m->src = malloc((n ? n : 1) * sizeof *m->src);
    m->heap = malloc((n ? n : 1) * sizeof *m->heap);
    if (m->src == NULL || m->heap == NULL) {
        elog_sorter_set_free(m);
        return NULL;
    }
    memcpy(m->src, sorters, n * sizeof *m->src);
    m->n = n;
    m->failed = n;
    return m;
}

/* Takes source i's next event into the heap. 0, or -1 (failed). */
static int pull(elog_sorter_set *m, size_t i)
{
    pending p;
    int r = elog_sorter_next(m->src[i], &p.ev);
    if (r < 0) {
        m->failed = i;
        return -1;
    }
    if (r == 0)
        return 0;
    p.source = i;
    m->heap[m->len++] = p;
    sift_up(m, m->len - 1);
    return 0;
}

int elog_sorter_set_next(elog_sorter_set *m, elog_event *ev, size_t *source)
{
    if (m->failed < m->n)
        return -1;
    if (!m->primed) {
        m->primed = true;
        for (size_t i = 0; i < m->n; i++)
            if (pull(m, i) != 0)
                return -1;
    } else if (m->advance) {
        m->advance = false;
        if (pull(m, m->last) != 0)
            return -1;
    }
    if (m->len == 0)
        return 0;
    pending top = m->heap[0];
    m->heap[0] = m->heap[--m->len];
    if (m->len > 0)
        sift_down(m, 0);
    *ev = top.ev;
    if (source != NULL)
        *source = top.source;
    m->last = top.source;
    m->advance = true;
    return 1;
}

size_t elog_sorter_set_failed(const elog_sorter_set *m)
{
    return m->failed;
}

void elog_sorter_set_free(elog_sorter_set *m)
{
    if (m == NULL)
        return;
    free(m->src);
    free(m->heap);
    free(m);
}
