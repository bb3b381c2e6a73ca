/*
 * The read-ahead byte source: the source below it (a descriptor, or a
 * decompressor over one) is read on a second core while the caller's thread
 * decodes, so a plain file costs the decoder no more than the bytes in memory
 * would, and a compressed file decodes at the speed of decompression alone.
 *
 * The caller's chunk buffer (the reader's) is cut into AHEAD_SLOTS slots
 * used as a ring: the thread fills slots, the caller's thread holds one at a
 * time (lend()) and hands it back with its next call. No memory is added,
 * so the streaming RSS stays where it was.
 *
 * Only the thread touches the source below while it runs; each slot carries
 * a copy of what the caller's thread may report about it (bsrc_desc),
 * published with the slot. The sources below never call the caller's
 * allocator or a callback from read() (byte_source.h), and the thread blocks
 * every signal, so handlers keep running on the caller's threads.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "byte_source.h"

#define AHEAD_SLOTS 4u

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
    bsrc_desc view;             /* the source's figures after this slot */
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
typedef struct ahead_source {
    byte_source base;
    byte_source *below;
    bsrc_desc seen;             /* caller only: the view of the slot it holds */
    const uint8_t *rest;        /* caller only: read(): what is left of that slot */
    size_t rest_len;
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
    bool caller_slept;          /* caller only: its last wait ended asleep */
    bool helper_slept;          /* the thread only: the same for it */
} ahead_source;

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
static bool helper_ready(ahead_source *a, unsigned filled, unsigned need_free)
{
    return atomic_load(&a->quit) || filled - atomic_load(&a->released) <= AHEAD_SLOTS - need_free;
}

/* The caller may take slot `released`: it is filled. */
static bool caller_ready(ahead_source *a, unsigned released, unsigned unused)
{
    (void)unused;
    return atomic_load(&a->filled) != released;
}

typedef bool ready_fn(ahead_source *a, unsigned mine, unsigned need);

/* Waits until ready(a, mine, poll_need): polls for up to poll_ns, then
 * sleeps with `me` set in `asleep` until ready(a, mine, sleep_need), a
 * stronger condition, so the other side wakes it once for several slots.
 * *slept says whether the last wait of this side ended asleep: then it does
 * not poll this time. A side that always waits (the decoder behind a
 * decompressor slower than it, as zstd and xz are) would otherwise burn
 * poll_ns per slot for nothing: with zstd, 0.1 s of a 0.45 s decode, CPU
 * the decompressing thread wants when the host is busy. */
static inline void await(ahead_source *a, ready_fn *ready, unsigned mine,
                         unsigned poll_need, unsigned sleep_need, uint64_t poll_ns,
                         unsigned me, bool *slept)
{
    if (ready(a, mine, poll_need)) {
        /* The thread's sleep is sticky: once the caller proved slower than
         * it (a wait ended asleep), it is woken with half the ring free and
         * finds the next slot free at once, which must not restart polling
         * (300 us per two slots: a quarter of `eventlog stats`' CPU, spent
         * spinning beside the decoder). The caller's is not: it polls again
         * as soon as the thread keeps ahead. */
        if (me != HELPER_ASLEEP)
            *slept = false;
        return;
    }
    if (*slept)
        poll_ns = 0;
    *slept = false;
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
    while (!ready(a, mine, sleep_need)) {
        *slept = true;
        pthread_cond_wait(&a->cv, &a->mu);
    }
    atomic_fetch_and(&a->asleep, ~me);
    pthread_mutex_unlock(&a->mu);
}

static void wake(ahead_source *a)
{
    pthread_mutex_lock(&a->mu);
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

/* Produces one slot on the thread. */
static void produce(ahead_source *a, struct ahead_slot *s)
{
    s->st = a->below->ops->read(a->below, s->buf, a->slot_cap, &s->len);
    if (s->st)
        s->len = 0;
    a->below->ops->describe(a->below, &s->view);
    s->view.read_ahead = true;
}

static void *ahead_main(void *arg)
{
    ahead_source *a = arg;
    for (unsigned filled = 0;; filled++) {
        await(a, helper_ready, filled, 1, AHEAD_SLOTS / 2, HELPER_POLL_NS, HELPER_ASLEEP,
              &a->helper_slept);
        if (atomic_load(&a->quit))
            break;
        struct ahead_slot *s = &a->slot[filled % AHEAD_SLOTS];
        produce(a, s);
        bool last = s->len == 0 || s->st != ELOG_READER_OK;
        atomic_store(&a->filled, filled + 1);
        if (atomic_load(&a->asleep) & CALLER_ASLEEP)
            wake(a);
        if (last)
            break;
    }
    return NULL;
}

static elog_reader_status ahead_lend(byte_source *src, const uint8_t **chunk, size_t *len)
{
    ahead_source *a = (ahead_source *)src;
    *chunk = NULL;
    *len = 0;
    a->rest_len = 0;
    if (a->last_taken) {
        /* The end or the failure again; without this, a call after the
         * last slot would wait for ever. */
        struct ahead_slot *s = &a->slot[atomic_load(&a->released) % AHEAD_SLOTS];
        return s->st;
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
    await(a, caller_ready, released, 0, 0, CALLER_POLL_NS, CALLER_ASLEEP, &a->caller_slept);
    struct ahead_slot *s = &a->slot[released % AHEAD_SLOTS];
    a->held = true;
    a->seen = s->view;
    if (s->len == 0 || s->st != ELOG_READER_OK)
        a->last_taken = true;
    if (s->st) /* the thread stopped after it: below's message is stable */
        memcpy(src->err, a->below->err, sizeof src->err);
    *chunk = s->buf;
    *len = s->len;
    return s->st;
}

static elog_reader_status ahead_read(byte_source *src, uint8_t *buf, size_t cap, size_t *n)
{
    ahead_source *a = (ahead_source *)src;
    *n = 0;
    if (a->rest_len == 0) {
        elog_reader_status st = ahead_lend(src, &a->rest, &a->rest_len);
        if (st || a->rest_len == 0)
            return st;
    }
    size_t k = a->rest_len < cap ? a->rest_len : cap;
    memcpy(buf, a->rest, k);
    a->rest += k;
    a->rest_len -= k;
    *n = k;
    return ELOG_READER_OK;
}

static void ahead_close(byte_source *src)
{
    ahead_source *a = (ahead_source *)src;
    atomic_store(&a->quit, true);
    wake(a);
    pthread_join(a->thread, NULL);
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    byte_source *below = a->below;
    elog_allocator al = src->alloc;
    bsrc_free(&al, a, sizeof *a);
    below->ops->close(below);
}

static void ahead_describe(const byte_source *src, bsrc_desc *d)
{
    *d = ((const ahead_source *)src)->seen;
}

static const byte_source_ops ahead_ops = {ahead_read, ahead_lend, ahead_close, ahead_describe};

size_t bsrc_ahead_min_buffer(void)
{
    return (size_t)MIN_SLOT * AHEAD_SLOTS;
}

byte_source *bsrc_ahead_open(const elog_allocator *al, byte_source *below, uint8_t *buf,
                             size_t cap)
{
    if (cap < bsrc_ahead_min_buffer())
        return NULL;
    ahead_source *a = bsrc_alloc(al, sizeof *a);
    if (!a)
        return NULL; /* read-ahead is an optimisation: go on without it */
    memset(a, 0, sizeof *a);
    a->base.ops = &ahead_ops;
    a->base.alloc = *al;
    a->below = below;
    below->ops->describe(below, &a->seen);
    a->seen.read_ahead = true;
    a->slot_cap = cap / AHEAD_SLOTS;
    for (unsigned i = 0; i < AHEAD_SLOTS; i++)
        a->slot[i].buf = buf + (size_t)i * a->slot_cap;
    bool ok = pthread_mutex_init(&a->mu, NULL) == 0;
    if (ok && pthread_cond_init(&a->cv, NULL) != 0) {
        pthread_mutex_destroy(&a->mu);
        ok = false;
    }
    if (!ok) {
        bsrc_free(al, a, sizeof *a);
        return NULL;
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&a->thread, NULL, ahead_main, a);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&a->cv);
        pthread_mutex_destroy(&a->mu);
        bsrc_free(al, a, sizeof *a);
        return NULL;
    }
#if defined(__GLIBC__)
    (void)pthread_setname_np(a->thread, "elog-read-ahead"); /* for top, gdb and perf */
#endif
    return &a->base;
}
