/*
 * The reader's read-ahead thread: read(2) and inflate run on a second core
 * while the caller's thread decodes, so a plain file costs the decoder no
 * more than the bytes in memory would, and a .gz file decodes at the speed
 * of inflate alone.
 *
 * The chunk buffer the reader already has (the read buffer for plain input,
 * the output buffer for gzip) is cut into AHEAD_SLOTS slots used as a ring:
 * the thread fills slots, the caller's thread holds one at a time and hands
 * it back when the decoder has consumed it. No memory is added, so the
 * streaming RSS stays where it was.
 *
 * Only the thread touches the source side of the reader (descriptor, `in`,
 * zlib, raw_total, eof, src_err) while it runs; each slot carries a copy of
 * what the caller's thread may report about it (reader_view), handed over
 * under the mutex. The thread never calls the caller's allocator (zlib's
 * window is reserved before it starts: gzip_source.c), never calls a
 * callback, and blocks every signal, so handlers keep running on the
 * caller's threads.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "reader_internal.h"

/* Below this a slot's hand-over would cost more than reading it. */
#define MIN_SLOT 4096u

struct ahead_slot {
    uint8_t *buf;
    size_t len;                 /* 0: the input ended here (or failed) */
    elog_reader_status st;      /* the source's error, or OK */
    reader_view view;           /* the source's figures after this slot */
};

struct elog__ahead {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t filled;      /* the thread made a slot ready */
    pthread_cond_t freed;       /* the caller handed a slot back, or quits */
    struct ahead_slot slot[AHEAD_SLOTS];
    size_t slot_cap;
    unsigned head;              /* the oldest slot the caller has not released */
    unsigned ready;             /* slots filled and not yet released (incl. held) */
    bool held;                  /* the caller holds slot[head] */
    bool quit;                  /* close: stop producing */
    bool last_taken;            /* the caller took the last slot */
};

bool elog__ahead_eligible(const elog_reader *r)
{
    size_t cap = r->mode == MODE_GZIP ? r->out_cap : r->in_cap;
    return !r->no_read_ahead && r->regular && !r->follow && r->mode != MODE_UNKNOWN &&
           cap / AHEAD_SLOTS >= MIN_SLOT && r->size > cap / AHEAD_SLOTS;
}

/* Produces one slot on the thread: reads into it (plain) or inflates into it
 * (gzip), with the same source functions the caller's thread uses when there
 * is no read-ahead. */
static void produce(elog_reader *r, struct ahead_slot *s, size_t cap)
{
    s->st = ELOG_READER_OK;
    s->len = 0;
    if (r->mode == MODE_GZIP) {
        s->st = elog__gzip_next(r, s->buf, cap, &s->len);
    } else {
        r->in = s->buf;
        r->in_pos = r->in_len = 0;
        r->in_cap = cap; /* what elog__reader_fill reads into; in_alloc stays */
        ssize_t n = elog__reader_fill(r);
        if (n < 0)
            s->st = r->src_failed;
        else
            s->len = (size_t)n;
    }
    elog__reader_view(r, &s->view);
}

static void *ahead_main(void *arg)
{
    elog_reader *r = arg;
    struct elog__ahead *a = r->ahead;
    pthread_mutex_lock(&a->mu);
    unsigned next = 0;
    for (;;) {
        /* On a full ring, sleep until half of it is free: one wake-up per
         * two slots for the caller's thread to pay, not one per slot. */
        if (a->ready == AHEAD_SLOTS)
            while (a->ready > AHEAD_SLOTS / 2 && !a->quit)
                pthread_cond_wait(&a->freed, &a->mu);
        if (a->quit)
            break;
        struct ahead_slot *s = &a->slot[next];
        pthread_mutex_unlock(&a->mu);
        produce(r, s, a->slot_cap);
        pthread_mutex_lock(&a->mu);
        a->ready++;
        next = (next + 1) % AHEAD_SLOTS;
        bool last = s->len == 0 || s->st != ELOG_READER_OK;
        pthread_cond_signal(&a->filled);
        if (last)
            break;
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

bool elog__ahead_start(elog_reader *r)
{
    if (r->mode == MODE_GZIP && !elog__gzip_reserve(r))
        return false;
    struct elog__ahead *a = elog__reader_alloc(r, sizeof *a);
    if (!a)
        return false; /* read-ahead is an optimisation: go on without it */
    memset(a, 0, sizeof *a);
    uint8_t *base = r->mode == MODE_GZIP ? r->out : r->in;
    size_t cap = r->mode == MODE_GZIP ? r->out_cap : r->in_cap;
    a->slot_cap = cap / AHEAD_SLOTS;
    for (unsigned i = 0; i < AHEAD_SLOTS; i++)
        a->slot[i].buf = base + (size_t)i * a->slot_cap;
    bool ok = pthread_mutex_init(&a->mu, NULL) == 0;
    if (ok && pthread_cond_init(&a->filled, NULL) != 0) {
        pthread_mutex_destroy(&a->mu);
        ok = false;
    }
    if (ok && pthread_cond_init(&a->freed, NULL) != 0) {
        pthread_cond_destroy(&a->filled);
        pthread_mutex_destroy(&a->mu);
        ok = false;
    }
    if (!ok) {
        elog__reader_free(r, a, sizeof *a);
        return false;
    }
    r->ahead = a;

    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&a->thread, NULL, ahead_main, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
#if defined(__GLIBC__)
    if (rc == 0) /* for top, gdb and perf */
        (void)pthread_setname_np(a->thread, "elog-read-ahead");
#endif
    if (rc != 0) {
        r->ahead = NULL;
        pthread_cond_destroy(&a->freed);
        pthread_cond_destroy(&a->filled);
        pthread_mutex_destroy(&a->mu);
        elog__reader_free(r, a, sizeof *a);
        return false;
    }
    return true;
}

elog_reader_status elog__ahead_take(elog_reader *r, const uint8_t **chunk, size_t *len,
                                    reader_view *view)
{
    struct elog__ahead *a = r->ahead;
    *chunk = NULL;
    *len = 0;
    if (a->last_taken) {
        /* next_chunk stops at the recorded end or failure first; without
         * this, a call after the last slot would wait for ever. */
        return ELOG_READER_OK;
    }
    pthread_mutex_lock(&a->mu);
    if (a->held) {
        a->held = false;
        a->head = (a->head + 1) % AHEAD_SLOTS;
        a->ready--;
        if (a->ready == AHEAD_SLOTS / 2)
            pthread_cond_signal(&a->freed);
    }
    while (a->ready == 0)
        pthread_cond_wait(&a->filled, &a->mu);
    struct ahead_slot *s = &a->slot[a->head];
    a->held = true;
    if (s->len == 0 || s->st != ELOG_READER_OK)
        a->last_taken = true;
    pthread_mutex_unlock(&a->mu);
    *chunk = s->buf;
    *len = s->len;
    *view = s->view;
    return s->st;
}

void elog__ahead_stop(elog_reader *r)
{
    struct elog__ahead *a = r->ahead;
    if (!a)
        return;
    pthread_mutex_lock(&a->mu);
    a->quit = true;
    pthread_cond_signal(&a->freed);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    pthread_cond_destroy(&a->freed);
    pthread_cond_destroy(&a->filled);
    pthread_mutex_destroy(&a->mu);
    r->ahead = NULL;
    elog__reader_free(r, a, sizeof *a);
}
