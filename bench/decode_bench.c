/*
 * Decode throughput of libeventlog on one real log, for bench/run.sh (not a
 * test). Every figure decodes all typed fields (the decoder always fills
 * ev->as) and calls a callback per event.
 *
 *   decode_bench bench FILE [ROUNDS]
 *       mem         the whole file in memory, one elog_execute(); the callback
 *                   folds id, time, cap and a typed field of the commonest
 *                   events (what a real consumer touches)
 *       mem_chunks  the same in 1 MiB elog_execute() calls
 *       mem_fields  one call; the callback folds every typed field of every
 *                   event through the catalogue (as `eventlog info` does)
 *       mem_first   one call; the callback folds id, time, cap and the first
 *                   typed field of every event, without a switch on the type
 *       mem_select  one call; settings.select turns every type but user
 *                   messages off, and the callback counts those
 *       mem_spin    `mem` while a second thread spins (on the other CPU):
 *                   what a busy second CPU costs the decoding thread
 *       mem_count   one call; the callback only counts events: the decoder's
 *                   own cost (it still fills every typed field)
 *       reader      elog_reader_run() on the path (read(2) of 1 MiB, no
 *                   memory copy of the file)
 *       byte_sum    the I/O-free floor: summing the bytes of the in-memory
 *                   file (the loop of byte_loop.c without the read(2))
 *   decode_bench gz FILE.gz [ROUNDS]
 *       zlib_inflate  read() + inflate() into a 1 MiB buffer, discarded: the
 *                     plain zlib floor
 *       reader_gz     elog_reader_run() on the .gz (inflate + decode)
 *   decode_bench once FILE [mem|count|select]
 *       one pass of that figure (default mem) in decode_pass(), for valgrind
 *       --tool=callgrind --toggle-collect=decode_pass (instructions per
 *       event); prints the events decoded
 *   decode_bench reader FILE
 *       one elog_reader_run() pass, plain or gzip, with a callback that does
 *       what ghc_events_decode.hs does with each event, to be timed
 *       from outside like the ghc-events baseline: prints "events=N"
 *   decode_bench count FILE
 *       the same with a callback that only counts events: the bare decode
 *       `eventlog info` is measured against (plain, gzip, zstd or xz)
 *   decode_bench mklog IN OUT BYTES
 *       writes a valid log of about BYTES bytes (>= 64 KiB) made of IN's
 *       header, whole blocks of IN's data section (cycled as often as needed;
 *       the last block cut at an event boundary with its size patched) and an
 *       end marker, then checks that it decodes clean with strict blocks.
 *
 * Timing: each figure is run ROUNDS times (default 5), interleaved; it
 * reports the best, median and worst of this thread's CPU time (user +
 * system, less disturbed by other jobs on a shared machine than wall time)
 * and the best wall time. Output, one line per figure (MB = 10^6 bytes):
 *
 *   RESULT <name> bytes=N events=N best=S median=S worst=S wall=S mbps=X evps=X
 *
 * then a human-readable table. Peak RSS of the process (it holds the file in
 * memory) is printed as `RSS kb=N`.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "eventlog.h"
#include "eventlog/reader.h"
#include "eventlog/writer.h"

#define CHUNK (1u << 20)
#define MAX_ROUNDS 50

static _Noreturn void die(const char *what, const char *detail)
{
    fprintf(stderr, "decode_bench: %s: %s\n", what, detail);
    exit(1);
}

/* ------------------------------------------------------------ callbacks */

typedef struct acc {
    uint64_t events;
    uint64_t sum;
    uint64_t time_sum;
} acc;

static int on_event_light(elog_decoder *d, const elog_event *ev)
{
    acc *a = d->data;
    a->events++;
    uint64_t x = ev->time + ((uint64_t)ev->id << 16) + ev->cap;
    switch (ev->id) {
    case ELOG_EV_CREATE_THREAD: x += ev->as.create_thread.thread; break;
    case ELOG_EV_RUN_THREAD: x += ev->as.run_thread.thread; break;
    case ELOG_EV_STOP_THREAD: x += ev->as.stop_thread.thread + ev->as.stop_thread.status; break;
    case ELOG_EV_MIGRATE_THREAD: x += ev->as.migrate_thread.new_cap; break;
    case ELOG_EV_THREAD_WAKEUP: x += ev->as.thread_wakeup.other_cap; break;
    case ELOG_EV_USER_MSG: x += ev->as.user_msg.message.len; break;
    case ELOG_EV_HEAP_PROF_SAMPLE_COST_CENTRE:
        x += ev->as.heap_prof_sample_cost_centre.residency +
             ev->as.heap_prof_sample_cost_centre.stack.count;
        break;
    default: break;
    }
    a->sum = a->sum * 31 + x;
    return ELOG_CB_CONTINUE;
}

/* What on_event_light does without its switch: the first typed field of
 * every event through the catalogue, whatever its type. The difference
 * between the two is the cost of the callback's own branch on the type,
 * which the CPU mispredicts where types interleave (the decoder itself does
 * not branch on the type for these events). */
static int on_event_first_field(elog_decoder *d, const elog_event *ev)
{
    acc *a = d->data;
    a->events++;
    uint64_t x = ev->time + ((uint64_t)ev->id << 16) + ev->cap;
    const elog_layout_info *l = ev->layout;
    if (l != NULL && l->n_fields > 0)
        x += elog_field_uint(ev, &l->fields[0]);
    a->sum = a->sum * 31 + x;
    return ELOG_CB_CONTINUE;
}

/* What bench/ghc_events_decode.hs does with each event, for the comparison
 * with ghc-events: count it, sum its time, fold its type and capability
 * (0 for none) into a hash. */
static int on_event_like_ghc_events(elog_decoder *d, const elog_event *ev)
{
    acc *a = d->data;
    a->events++;
    a->time_sum += ev->time;
    uint64_t cap = ev->cap == ELOG_NO_CAP ? 0 : ev->cap;
    a->sum = a->sum * 31 + (uint64_t)ev->id * 8 + cap;
    return ELOG_CB_CONTINUE;
}

/* settings.select for mem_select: only user messages (traceEvent). */
static bool select_user_messages(elog_decoder *d, const elog_event_type *t)
{
    (void)d;
    return t->id == ELOG_EV_USER_MSG;
}

/* The least a callback can do: count. Isolates the decoder's own cost. */
static int on_event_count(elog_decoder *d, const elog_event *ev)
{
    (void)ev;
    ((acc *)d->data)->events++;
    return ELOG_CB_CONTINUE;
}

/* Every field through the generic accessors; strings and stacks by length and
 * last element so that their bytes are touched. */
static uint64_t field_value(const elog_event *ev, const elog_field_info *f)
{
    switch (f->kind) {
    case ELOG_FIELD_U8:
    case ELOG_FIELD_U16:
    case ELOG_FIELD_U32:
    case ELOG_FIELD_U64:
        return elog_field_uint(ev, f);
    case ELOG_FIELD_STACK: {
        elog_u32_array a = elog_field_stack(ev, f);
        return a.count + (a.count ? elog_u32_array_get(a, a.count - 1) : 0);
    }
    default: {
        elog_slice s = elog_field_slice(ev, f);
        return s.len + (s.len ? s.ptr[s.len - 1] : 0);
    }
    }
}

static int on_event_fields(elog_decoder *d, const elog_event *ev)
{
    acc *a = d->data;
    a->events++;
    uint64_t x = ev->time + ev->cap;
    const elog_layout_info *l = ev->layout;
    if (l == NULL) {
        x += ev->payload.len;
    } else {
        for (unsigned i = 0; i < l->n_fields; i++) {
            const elog_field_info *f = &l->fields[i];
            if (elog_field_present(ev, f))
                x = x * 31 + field_value(ev, f);
        }
    }
    a->sum = a->sum * 31 + x;
    return ELOG_CB_CONTINUE;
}

/* -------------------------------------------------------------- inputs */

static uint8_t *file_data;
static size_t file_len;
static const char *file_path;
static acc totals;
static uint64_t expect_events;
static volatile uint64_t sink;

static void load(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        die(path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0)
        die(path, strerror(errno));
    file_len = (size_t)st.st_size;
    file_data = malloc(file_len ? file_len : 1);
    if (!file_data)
        die(path, "out of memory");
    size_t off = 0;
    while (off < file_len) {
        ssize_t n = read(fd, file_data + off, file_len - off > CHUNK ? CHUNK : file_len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die(path, n < 0 ? strerror(errno) : "file shrank");
        off += (size_t)n;
    }
    close(fd);
    file_path = path;
}

static void check(elog_end e, const acc *a)
{
    if (e.kind != ELOG_END_CLEAN)
        die(file_path, elog_end_kind_name(e.kind));
    if (expect_events && a->events != expect_events)
        die(file_path, "event count differs between figures");
    expect_events = a->events;
}

/* ------------------------------------------------------------- figures */

static elog_settings st_light, st_fields, st_count, st_first, st_like_ge, st_select;

/* One in-memory pass; its own function so that callgrind can count it
 * alone (--toggle-collect=decode_pass). */
__attribute__((noinline)) uint64_t decode_pass(const uint8_t *p, size_t n,
                                               const elog_settings *st);
__attribute__((noinline)) uint64_t decode_pass(const uint8_t *p, size_t n,
                                               const elog_settings *st)
{
    acc a = {0, 0, 0};
    elog_decoder d;
    elog_decoder_init(&d, st, &a);
    elog_result r = elog_execute(&d, p, n);
    if (r.status != ELOG_OK)
        die(file_path, elog_get_error_reason(&d));
    elog_end e = elog_finish(&d);
    if (e.kind != ELOG_END_CLEAN)
        die(file_path, elog_end_kind_name(e.kind));
    elog_decoder_free(&d);
    sink += a.sum + a.events;
    return e.events;
}

static void fig_mem(void)
{
    totals.events = decode_pass(file_data, file_len, &st_light);
    if (expect_events && totals.events != expect_events)
        die(file_path, "event count differs between figures");
    expect_events = totals.events;
}

static void fig_mem_chunks(void)
{
    acc a = {0, 0, 0};
    elog_decoder d;
    elog_decoder_init(&d, &st_light, &a);
    for (size_t off = 0; off < file_len; off += CHUNK) {
        size_t n = file_len - off < CHUNK ? file_len - off : CHUNK;
        if (elog_execute(&d, file_data + off, n).status != ELOG_OK)
            die(file_path, elog_get_error_reason(&d));
    }
    check(elog_finish(&d), &a);
    elog_decoder_free(&d);
    sink += a.sum;
}

static void mem_with(const elog_settings *st)
{
    acc a = {0, 0, 0};
    elog_decoder d;
    elog_decoder_init(&d, st, &a);
    if (elog_execute(&d, file_data, file_len).status != ELOG_OK)
        die(file_path, elog_get_error_reason(&d));
    check(elog_finish(&d), &a);
    elog_decoder_free(&d);
    sink += a.sum;
}

static void fig_mem_fields(void)
{
    mem_with(&st_fields);
}

static void fig_mem_count(void)
{
    mem_with(&st_count);
}

static void fig_mem_first(void)
{
    mem_with(&st_first);
}

static void fig_mem_select(void)
{
    acc a = {0, 0, 0};
    elog_decoder d;
    elog_decoder_init(&d, &st_select, &a);
    if (elog_execute(&d, file_data, file_len).status != ELOG_OK)
        die(file_path, elog_get_error_reason(&d));
    elog_end e = elog_finish(&d);
    /* Every event decoded (and counted in e.events), few called back. */
    if (e.kind != ELOG_END_CLEAN || (expect_events && e.events != expect_events) ||
        a.events > e.events)
        die(file_path, "selecting decode: unexpected end or counts");
    elog_decoder_free(&d);
    sink += a.events;
}

/* A thread that spins while `mem` decodes: what any second thread (the
 * reader's read-ahead among them) costs the decoding thread when the two
 * CPUs are not independent (SMT siblings, or vCPUs sharing a host core). */
static atomic_bool spin_stop;

static void *spinner(void *arg)
{
    (void)arg;
    volatile uint64_t x = 0;
    while (!atomic_load_explicit(&spin_stop, memory_order_relaxed))
        x++;
    return NULL;
}

static void fig_mem_spin(void)
{
    atomic_store(&spin_stop, false);
    pthread_t t;
    if (pthread_create(&t, NULL, spinner, NULL) != 0)
        die("pthread_create", strerror(errno));
    fig_mem();
    atomic_store(&spin_stop, true);
    pthread_join(t, NULL);
}

static void run_reader_with(const char *path, const elog_settings *st)
{
    acc a = {0, 0, 0};
    elog_decoder d;
    elog_decoder_init(&d, st, &a);
    elog_reader *r;
    elog_end end;
    if (elog_reader_open(&r, path, NULL) != ELOG_READER_OK ||
        elog_reader_run(r, &d, &end) != ELOG_READER_OK)
        die(path, elog_reader_error(r));
    check(end, &a);
    elog_reader_close(r);
    elog_decoder_free(&d);
    sink += a.sum + a.time_sum;
}

static void run_reader(const char *path)
{
    run_reader_with(path, &st_light);
}

static void fig_reader(void)
{
    run_reader(file_path);
}

static void fig_byte_sum(void)
{
    uint64_t s = 0;
    for (size_t i = 0; i < file_len; i++)
        s += file_data[i];
    sink += s;
}

static const char *gz_path;
static uint64_t gz_plain_len;

static void fig_zlib_inflate(void)
{
    /* page-aligned, as in byte_loop.c: the floor is the fast case */
    static _Alignas(4096) uint8_t in[CHUNK], out[CHUNK];
    int fd = open(gz_path, O_RDONLY);
    if (fd < 0)
        die(gz_path, strerror(errno));
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        die("zlib", "inflateInit2");
    uint64_t total = 0;
    for (;;) {
        if (zs.avail_in == 0) {
            ssize_t n = read(fd, in, sizeof in);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                die(gz_path, strerror(errno));
            if (n == 0)
                break;
            zs.next_in = in;
            zs.avail_in = (uInt)n;
        }
        zs.next_out = out;
        zs.avail_out = sizeof out;
        int rc = inflate(&zs, Z_NO_FLUSH);
        total += sizeof out - zs.avail_out;
        if (rc == Z_STREAM_END) {
            /* concatenated members, as the reader accepts them */
            if (zs.avail_in == 0) {
                ssize_t n = read(fd, in, sizeof in);
                if (n <= 0)
                    break;
                zs.next_in = in;
                zs.avail_in = (uInt)n;
            }
            inflateReset(&zs);
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            die(gz_path, "corrupt gzip data");
        }
    }
    inflateEnd(&zs);
    close(fd);
    gz_plain_len = total;
    sink += total;
}

static void fig_reader_gz(void)
{
    run_reader(gz_path);
}

/* ------------------------------------------------------------- driver */

typedef struct figure {
    const char *name;
    const char *what;
    void (*fn)(void);
    double cpu[MAX_ROUNDS];
    double wall[MAX_ROUNDS];
} figure;

static double clock_s(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void run_figures(figure *figs, size_t n, int rounds, uint64_t bytes)
{
    for (int k = 0; k < rounds; k++)
        for (size_t i = 0; i < n; i++) {
            double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), w0 = clock_s(CLOCK_MONOTONIC);
            figs[i].fn();
            figs[i].wall[k] = clock_s(CLOCK_MONOTONIC) - w0;
            figs[i].cpu[k] = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
        }
    for (size_t i = 0; i < n; i++) {
        figure *f = &figs[i];
        qsort(f->cpu, (size_t)rounds, sizeof f->cpu[0], cmp_double);
        qsort(f->wall, (size_t)rounds, sizeof f->wall[0], cmp_double);
        double best = f->cpu[0] > 1e-9 ? f->cpu[0] : 1e-9;
        printf("RESULT %s bytes=%llu events=%llu best=%.6f median=%.6f worst=%.6f wall=%.6f "
               "mbps=%.1f evps=%.0f\n",
               f->name, (unsigned long long)bytes, (unsigned long long)expect_events, f->cpu[0],
               f->cpu[rounds / 2], f->cpu[rounds - 1], f->wall[0], (double)bytes / best / 1e6,
               (double)expect_events / best);
    }
    for (size_t i = 0; i < n; i++) {
        figure *f = &figs[i];
        double best = f->cpu[0] > 1e-9 ? f->cpu[0] : 1e-9;
        double wall = f->wall[0] > 1e-9 ? f->wall[0] : 1e-9;
        printf("  %-12s %-52s %9.1f MB/s %7.2f M ev/s  spread %4.1f%%  (wall %9.1f MB/s)\n",
               f->name, f->what, (double)bytes / best / 1e6, (double)expect_events / best / 1e6,
               (f->cpu[rounds - 1] / best - 1) * 100, (double)bytes / wall / 1e6);
    }
}

static void print_rss(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("RSS kb=%ld\n", ru.ru_maxrss);
}

static int parse_rounds(int argc, char **argv, int i)
{
    int rounds = argc > i ? atoi(argv[i]) : 5;
    if (rounds < 1 || rounds > MAX_ROUNDS)
        die("usage", "ROUNDS must be 1..50");
    return rounds;
}

static int cmd_bench(const char *path, int rounds)
{
    load(path);
    static figure figs[] = {
        {"mem", "in memory, one call, callback reads typed fields", fig_mem, {0}, {0}},
        {"mem_chunks", "in memory, 1 MiB calls", fig_mem_chunks, {0}, {0}},
        {"mem_fields", "in memory, callback folds every typed field", fig_mem_fields, {0}, {0}},
        {"mem_count", "in memory, callback only counts (decoder alone)", fig_mem_count, {0}, {0}},
        {"mem_first", "in memory, callback reads a field, no switch", fig_mem_first, {0}, {0}},
        {"mem_select", "in memory, only user messages selected (counted)", fig_mem_select, {0}, {0}},
        {"mem_spin", "as `mem`, while another thread spins", fig_mem_spin, {0}, {0}},
        {"reader", "elog_reader_run on the file (read-ahead thread)", fig_reader, {0}, {0}},
        {"byte_sum", "sum of the bytes in memory (no decoding)", fig_byte_sum, {0}, {0}},
    };
    fig_mem(); /* warm up; fixes the event count */
    printf("%s: %.1f MB, %llu events, %.1f bytes/event; CPU time, best of %d\n", path,
           (double)file_len / 1e6, (unsigned long long)expect_events,
           expect_events ? (double)file_len / (double)expect_events : 0.0, rounds);
    run_figures(figs, sizeof figs / sizeof figs[0], rounds, file_len);
    print_rss();
    return 0;
}

static int cmd_gz(const char *path, int rounds)
{
    gz_path = path;
    file_path = path;
    static figure figs[] = {
        {"zlib_inflate", "read() + inflate() into 1 MiB, discarded", fig_zlib_inflate, {0}, {0}},
        {"reader_gz", "elog_reader_run on the .gz (inflate + decode)", fig_reader_gz, {0}, {0}},
    };
    fig_zlib_inflate();
    fig_reader_gz();
    printf("%s: %.1f MB inflated, %llu events; CPU time, best of %d; MB/s of inflated bytes\n",
           path, (double)gz_plain_len / 1e6, (unsigned long long)expect_events, rounds);
    run_figures(figs, sizeof figs / sizeof figs[0], rounds, gz_plain_len);
    print_rss();
    return 0;
}

static int cmd_once(const char *path, const char *which)
{
    const elog_settings *st = &st_light;
    if (strcmp(which, "count") == 0)
        st = &st_count;
    else if (strcmp(which, "select") == 0)
        st = &st_select;
    else if (strcmp(which, "mem") != 0)
        die(which, "unknown figure for once (mem, count or select)");
    load(path);
    uint64_t n = decode_pass(file_data, file_len, st);
    printf("events=%llu bytes=%llu\n", (unsigned long long)n, (unsigned long long)file_len);
    return 0;
}

static int cmd_reader(const char *path)
{
    file_path = path;
    run_reader_with(path, &st_like_ge);
    printf("events=%llu\n", (unsigned long long)expect_events);
    return 0;
}

/* The bare decode: elog_reader_run() with a callback that only counts (what
 * `eventlog info` is compared with; any compression). */
static int cmd_count(const char *path)
{
    file_path = path;
    run_reader_with(path, &st_count);
    printf("events=%llu\n", (unsigned long long)expect_events);
    return 0;
}

/* ---- mklog ---- */

typedef struct block {
    uint64_t offset;
    uint32_t size;
} block;

typedef struct blocks {
    block *v;
    size_t n, cap;
    bool oom;
} blocks;

static int on_block_collect(elog_decoder *d, const elog_event *ev)
{
    blocks *b = d->data;
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 256;
        block *v = realloc(b->v, cap * sizeof *v);
        if (!v) {
            b->oom = true;
            return ELOG_CB_ABORT;
        }
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n].offset = ev->offset;
    b->v[b->n].size = ev->as.block_marker.block_size;
    b->n++;
    return ELOG_CB_CONTINUE;
}

static int on_event_none(elog_decoder *d, const elog_event *ev)
{
    (void)d;
    (void)ev;
    return ELOG_CB_CONTINUE;
}

static int cmd_mklog(const char *in, const char *out, unsigned long long want)
{
    if (want < 65536)
        die("mklog", "BYTES must be at least 65536");
    load(in);
    blocks b = {NULL, 0, 0, false};
    elog_settings s;
    elog_settings_init(&s);
    s.on_event = on_event_none;
    s.on_block = on_block_collect;
    elog_decoder d;
    elog_decoder_init(&d, &s, &b);
    if (elog_execute(&d, file_data, file_len).status != ELOG_OK)
        die(in, b.oom ? "out of memory" : elog_get_error_reason(&d));
    elog_end end = elog_finish(&d);
    const elog_header *h = elog_get_header(&d);
    if (end.kind != ELOG_END_CLEAN || h == NULL)
        die(in, "not a clean eventlog");
    if (b.n < 2)
        die(in, "fewer than two blocks: nothing to cycle");
    /* The library's writer, verbatim: the header, then whole blocks of the
     * input over and over, cycling over the spans [block i, block i+1) for
     * i < n-1 (the last block may count the end marker, GHC >= 9, so it is
     * left out), then the events of one more block up to the budget, whose
     * size the writer corrects at finish, and the end marker. */
    elog_log_writer *w;
    elog_log_writer_options wo = {.flags = ELOG_LOG_WRITER_VERBATIM};
    if (elog_log_writer_open_path(&w, &wo, out) != ELOG_OK)
        die(out, strerror(errno));
    if (elog_log_writer_header(w, h) != ELOG_OK)
        die(out, elog_log_writer_error_reason(w));
    size_t spans = b.n - 1;
    bool full = false;
    for (size_t i = 0; !full; i = (i + 1) % spans) {
        uint64_t p = b.v[i].offset, z = b.v[i + 1].offset;
        while (p < z) {
            elog_event ev;
            size_t rs;
            if (elog_decode_record(h, file_data + p, (size_t)(z - p), p, &ev, &rs) != ELOG_OK)
                die(in, "cannot re-read a record of a block");
            if (elog_log_writer_offset(w) + rs + 2 > want) {
                full = true;
                break;
            }
            if (elog_log_writer_copy(w, &ev) != ELOG_OK)
                die(out, elog_log_writer_error_reason(w));
            p += rs;
        }
    }
    uint64_t written = elog_log_writer_offset(w) + 2;
    if (elog_log_writer_finish(w, NULL) != ELOG_OK)
        die(out, elog_log_writer_error_reason(w));
    elog_log_writer_free(w);
    elog_decoder_free(&d);
    free(b.v);

    /* Check it: strict blocks, clean end. */
    acc a = {0, 0, 0};
    elog_decoder_init(&d, &st_light, &a);
    elog_reader *r;
    if (elog_reader_open(&r, out, NULL) != ELOG_READER_OK ||
        elog_reader_run(r, &d, &end) != ELOG_READER_OK)
        die(out, elog_reader_error(r));
    if (end.kind != ELOG_END_CLEAN)
        die(out, "the log written does not decode clean");
    elog_reader_close(r);
    elog_decoder_free(&d);
    printf("%s: %llu bytes, %llu events\n", out, (unsigned long long)written,
           (unsigned long long)a.events);
    return 0;
}

int main(int argc, char **argv)
{
    elog_settings_init(&st_light);
    st_light.on_event = on_event_light;
    elog_settings_init(&st_fields);
    st_fields.on_event = on_event_fields;
    elog_settings_init(&st_like_ge);
    st_like_ge.on_event = on_event_like_ghc_events;
    elog_settings_init(&st_select);
    st_select.on_event = on_event_count;
    st_select.select = select_user_messages;
    elog_settings_init(&st_first);
    st_first.on_event = on_event_first_field;
    elog_settings_init(&st_count);
    st_count.on_event = on_event_count;

    if (argc >= 3 && strcmp(argv[1], "bench") == 0)
        return cmd_bench(argv[2], parse_rounds(argc, argv, 3));
    if (argc >= 3 && strcmp(argv[1], "gz") == 0)
        return cmd_gz(argv[2], parse_rounds(argc, argv, 3));
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "once") == 0)
        return cmd_once(argv[2], argc == 4 ? argv[3] : "mem");
    if (argc == 3 && strcmp(argv[1], "reader") == 0)
        return cmd_reader(argv[2]);
    if (argc == 3 && strcmp(argv[1], "count") == 0)
        return cmd_count(argv[2]);
    if (argc == 5 && strcmp(argv[1], "mklog") == 0)
        return cmd_mklog(argv[2], argv[3], strtoull(argv[4], NULL, 0));
    fprintf(stderr, "usage: decode_bench bench FILE [ROUNDS] | gz FILE.gz [ROUNDS] | once FILE [mem|count|select] |"
                    " reader FILE | count FILE | mklog IN OUT BYTES\n");
    return 2;
}
