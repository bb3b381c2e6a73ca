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
 * what the caller's thread may report about it (reader_view), published
 * with the slot. The thread never calls the caller's allocator (zlib's
 * window is reserved before it starts: gzip_source.c), never calls a
 * callback, and blocks every signal, so handlers keep running on the
 * caller's threads.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "reader_internal.h"

/* Below this a slot's hand-over would cost more than reading it. */
#define MIN_SLOT 4096u

/* How long a side polls before it sleeps. Sleeping is what costs: on a VM
 * the sleeper's idle vCPU took ~0.3 ms on average to run again (the decoder
 * waited 21-25 ms of a 217 ms read of a 330 MB log), and the waker pays a
 * futex call plus an inter-processor interrupt (~20 us). The thread polls
 * for about the time a fast consumer (~0.8 GB/s and up) takes to use up a
 * slot of the default 1 MiB buffer, so it never sleeps behind one; a slower
 * consumer lets it sleep, and then wakes it only once per half ring. The
 * caller polls for about the time a plain read of a slot takes. */
#define HELPER_POLL_NS 300000
#define CALLER_POLL_NS 100000

struct ahead_slot {
    uint8_t *buf;
    size_t len;                 /* 0: the input ended here (or failed) */
    elog_reader_status st;      /* the source's error, or OK */
    reader_view view;           /* the source's figures after this slot */
};

enum { HELPER_ASLEEP = 1, CALLER_ASLEEP = 2 };

/* The ring is two counters, each written by one side: `filled` by the
 * thread (slots produced since the start) and `released` by the caller
 * (slots handed back). Slot k lives in slot[k % AHEAD_SLOTS]; a slot's
 * contents are published by the store to `filled` and handed back by the
 * store to `released`. The mutex and condition variable are only for
 * sleeping: a side sets its bit in `asleep` before its last look at
 * the other's counter, the other looks at `asleep` after its store (both
 * sequentially consistent), so a wake-up is never lost. */
struct elog__ahead {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct ahead_slot slot[AHEAD_SLOTS];
    size_t slot_cap;
    /* Each counter on its own cache line, so the side that writes one does
     * not steal the line the other side polls. (Padding, not _Alignas: the
     * struct comes from the caller's allocator, which promises 16 bytes.) */
    char pad0_[64];
    atomic_uint filled;
    char pad1_[64];
    atomic_uint released;
    char pad2_[64];
    atomic_uint asleep;         /* HELPER_ASLEEP | CALLER_ASLEEP */
    atomic_bool quit;           /* close: stop producing */
    bool held;                  /* caller only: it holds slot `released` */
    bool last_taken;            /* caller only: it took the last slot */
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The thread may produce slot `filled`: at least `need_free` slots are free,
 * or it must quit. */
static bool helper_ready(struct elog__ahead *a, unsigned filled, unsigned need_free)
{
    return atomic_load(&a->quit) || filled - atomic_load(&a->released) <= AHEAD_SLOTS - need_free;
}

/* The caller may take slot `released`: it is filled. */
static bool caller_ready(struct elog__ahead *a, unsigned released, unsigned unused)
{
    (void)unused;
    return atomic_load(&a->filled) != released;
}

typedef bool ready_fn(struct elog__ahead *a, unsigned mine, unsigned need);

/* Waits until ready(a, mine, poll_need): polls for up to poll_ns, then
 * sleeps with `me` set in `asleep` until ready(a, mine, sleep_need), a
 * stronger condition, so the other side wakes it once for several slots. */
static inline void await(struct elog__ahead *a, ready_fn *ready, unsigned mine,
                         unsigned poll_need, unsigned sleep_need, uint64_t poll_ns,
                         unsigned me)
{
    if (ready(a, mine, poll_need))
        return;
    uint64_t deadline = now_ns() + poll_ns;
    for (unsigned i = 1;; i++) {
        cpu_relax();
        if (ready(a, mine, poll_need))
            return;
        if (i % 64 == 0 && now_ns() > deadline)
            break;
    }
    pthread_mutex_lock(&a->mu);
    atomic_fetch_or(&a->asleep, me);
    while (!ready(a, mine, sleep_need))
        pthread_cond_wait(&a->cv, &a->mu);
    atomic_fetch_and(&a->asleep, ~me);
    pthread_mutex_unlock(&a->mu);
}

static void wake(struct elog__ahead *a)
{
    pthread_mutex_lock(&a->mu);
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

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
    for (unsigned filled = 0;; filled++) {
        await(a, helper_ready, filled, 1, AHEAD_SLOTS / 2, HELPER_POLL_NS, HELPER_ASLEEP);
        if (atomic_load(&a->quit))
            break;
        struct ahead_slot *s = &a->slot[filled % AHEAD_SLOTS];
        produce(r, s, a->slot_cap);
        bool last = s->len == 0 || s->st != ELOG_READER_OK;
        atomic_store(&a->filled, filled + 1);
        if (atomic_load(&a->asleep) & CALLER_ASLEEP)
            wake(a);
        if (last)
            break;
    }
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
    if (ok && pthread_cond_init(&a->cv, NULL) != 0) {
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
        pthread_cond_destroy(&a->cv);
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
    unsigned released = atomic_load_explicit(&a->released, memory_order_relaxed);
    if (a->held) {
        a->held = false;
        atomic_store(&a->released, ++released);
        /* the thread sleeps until half the ring is free */
        if ((atomic_load(&a->asleep) & HELPER_ASLEEP) &&
            helper_ready(a, atomic_load(&a->filled), AHEAD_SLOTS / 2))
            wake(a);
    }
    await(a, caller_ready, released, 0, 0, CALLER_POLL_NS, CALLER_ASLEEP);
    struct ahead_slot *s = &a->slot[released % AHEAD_SLOTS];
    a->held = true;
    if (s->len == 0 || s->st != ELOG_READER_OK)
        a->last_taken = true;
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
    atomic_store(&a->quit, true);
    wake(a);
    pthread_join(a->thread, NULL);
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    r->ahead = NULL;
    elog__reader_free(r, a, sizeof *a);
}
