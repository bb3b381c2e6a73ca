/*
 * Throughput of the file reader against its baselines, in one run.
 *
 *   plain: decoding the log from memory vs elog_reader_run() on the file
 *          (target: the reader adds <= 5%), with a hand-written read() +
 *          elog_execute() loop to separate the cost of read(2) itself from
 *          the reader's.
 *   gzip:  elog_reader_read() vs a bare read() + inflate() loop, and
 *          elog_reader_run() vs read() + inflate() + elog_execute() by hand
 *          (target: >= 0.8x).
 *
 * A valid log cannot be made larger by concatenation, so the input (default
 * corpus/conformance/stop.hT.eventlog, 2.3 MB) is decoded REPS times with
 * the decoder reset between copies, and the file is opened and read REPS
 * times from the page cache. Each figure is the best of ROUNDS interleaved
 * rounds, in wall-clock time (the ratios use it: the read-ahead thread does
 * the I/O and the inflating on another core, which is the point) and in CPU
 * time of the whole process (user + system of every thread, so read(2)'s
 * copy counts wherever it runs). The reader is measured with read-ahead
 * (the default) and without (`no_read_ahead`, everything on one thread).
 *
 * The reader is measured twice: with malloc, where each open faults in its
 * fresh 1 MiB buffers (glibc returns them to the kernel on free), and with a
 * caching elog_allocator that keeps freed blocks for the next open, i.e. the
 * steady state of a long read.
 *
 * A 2.3 MB input stays in the CPU caches when decoded from memory again and
 * again, which flatters that baseline. So the same figures are then taken on
 * one large valid log (LARGE_MB, default 200): the input's header, its data
 * section (from the header's end to the end-of-data marker) repeated, and an
 * end marker -- valid because the data section consists of whole blocks.
 * Each large figure is one pass, best of ROUNDS.
 *
 *   build/bench/reader_bench [FILE [REPS [ROUNDS]]]        (from the source root)
 *   READ_BUF=bytes OUT_BUF=bytes change the reader's buffer sizes;
 *   LARGE_MB=0 skips the large log.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "eventlog.h"
#include "eventlog/reader.h"

#define CHUNK (1u << 20)

static elog_settings settings;
static elog_decoder dec;
static uint64_t events_seen;
/* The input set being measured. */
static uint8_t *plain;
static size_t plain_len;
static const char *plain_path;
static char gz_path[256];
static int reps = 20, rounds = 7;
static elog_reader_options ropts, ropts_cached, ropts_single;

static _Noreturn void die(const char *what, const char *detail)
{
    fprintf(stderr, "reader_bench: %s: %s\n", what, detail);
    exit(1);
}

static int on_event(elog_decoder *d, const elog_event *ev)
{
    (void)d;
    events_seen += ev->id;
    return ELOG_CB_CONTINUE;
}

static void check_end(elog_end e)
{
    if (e.kind != ELOG_END_CLEAN)
        die("decode", elog_end_kind_name(e.kind));
}

/* A caching allocator: freed blocks are kept (up to 8) for reuse. */
static struct {
    void *p;
    size_t size;
} cache[8];

static void *cached_alloc(void *ctx, size_t size)
{
    (void)ctx;
    for (int i = 0; i < 8; i++)
        if (cache[i].p && cache[i].size == size) {
            void *p = cache[i].p;
            cache[i].p = NULL;
            return p;
        }
    return malloc(size);
}

static void cached_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    for (int i = 0; i < 8; i++)
        if (!cache[i].p) {
            cache[i].p = p;
            cache[i].size = size;
            return;
        }
    free(p);
}

static const elog_allocator cached_allocator = {cached_alloc, cached_free, NULL};

/* ---- plain ---- */

static void memory_whole(void)
{
    for (int i = 0; i < reps; i++) {
        elog_decoder_reset(&dec);
        elog_execute(&dec, plain, plain_len);
        check_end(elog_finish(&dec));
    }
}

static void memory_chunks(void)
{
    for (int i = 0; i < reps; i++) {
        elog_decoder_reset(&dec);
        for (size_t off = 0; off < plain_len; off += CHUNK)
            elog_execute(&dec, plain + off, plain_len - off < CHUNK ? plain_len - off : CHUNK);
        check_end(elog_finish(&dec));
    }
}

static void read_only(int decode)
{
    static uint8_t buf[CHUNK];
    size_t cap = ropts.read_buffer_size && ropts.read_buffer_size < CHUNK
                     ? ropts.read_buffer_size : CHUNK;
    for (int i = 0; i < reps; i++) {
        int fd = open(plain_path, O_RDONLY);
        if (fd < 0)
            die(plain_path, strerror(errno));
        elog_decoder_reset(&dec);
        ssize_t n;
        while ((n = read(fd, buf, cap)) > 0)
            if (decode)
                elog_execute(&dec, buf, (size_t)n);
        close(fd);
        if (decode)
            check_end(elog_finish(&dec));
    }
}

static void read_plain(void) { read_only(0); }
static void read_decode(void) { read_only(1); }

static void reader_run(const char *path, const elog_reader_options *o)
{
    for (int i = 0; i < reps; i++) {
        elog_decoder_reset(&dec);
        elog_reader *r;
        elog_end end;
        if (elog_reader_open(&r, path, o) != ELOG_READER_OK ||
            elog_reader_run(r, &dec, &end) != ELOG_READER_OK)
            die("reader", elog_reader_error(r));
        check_end(end);
        elog_reader_close(r);
    }
}

static void reader_read(const char *path, const elog_reader_options *o)
{
    for (int i = 0; i < reps; i++) {
        elog_reader *r;
        if (elog_reader_open(&r, path, o) != ELOG_READER_OK)
            die("reader", elog_reader_error(r));
        const uint8_t *p;
        size_t n, total = 0;
        do {
            if (elog_reader_read(r, &p, &n) != ELOG_READER_OK)
                die("reader", elog_reader_error(r));
            total += n;
        } while (n);
        if (total != plain_len)
            die("reader", "short read");
        elog_reader_close(r);
    }
}

static void run_plain(void) { reader_run(plain_path, &ropts); }
static void run_plain_single(void) { reader_run(plain_path, &ropts_single); }
static void run_plain_cached(void) { reader_run(plain_path, &ropts_cached); }

/* ---- gzip ---- */

/* read() + inflate(), optionally feeding the decoder: the reader's work
 * without the reader. */
static void inflate_loop(int decode)
{
    static uint8_t in[CHUNK], out[CHUNK];
    for (int i = 0; i < reps; i++) {
        int fd = open(gz_path, O_RDONLY);
        if (fd < 0)
            die(gz_path, strerror(errno));
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
            die("zlib", "inflateInit2");
        if (decode)
            elog_decoder_reset(&dec);
        size_t total = 0;
        int rc = Z_OK;
        while (rc != Z_STREAM_END) {
            ssize_t n = read(fd, in, sizeof in);
            if (n <= 0)
                die("read", "unexpected end");
            zs.next_in = in;
            zs.avail_in = (uInt)n;
            do {
                zs.next_out = out;
                zs.avail_out = sizeof out;
                rc = inflate(&zs, Z_NO_FLUSH);
                if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
                    die("zlib", "inflate");
                size_t got = sizeof out - zs.avail_out;
                total += got;
                if (decode && got)
                    elog_execute(&dec, out, got);
            } while (zs.avail_in && rc != Z_STREAM_END);
        }
        inflateEnd(&zs);
        close(fd);
        if (decode)
            check_end(elog_finish(&dec));
        if (total != plain_len)
            die("inflate", "wrong length");
    }
}

static void inflate_only(void) { inflate_loop(0); }
static void inflate_decode(void) { inflate_loop(1); }
static void read_gz(void) { reader_read(gz_path, &ropts); }
static void read_gz_cached(void) { reader_read(gz_path, &ropts_cached); }
static void run_gz(void) { reader_run(gz_path, &ropts); }
static void run_gz_single(void) { reader_run(gz_path, &ropts_single); }
static void read_gz_single(void) { reader_read(gz_path, &ropts_single); }
static void run_gz_cached(void) { reader_run(gz_path, &ropts_cached); }

/* ---- driver ---- */

typedef struct measure {
    const char *name;
    void (*fn)(void);
    int base;          /* index of the measure to compare with, or -1 */
    double best;       /* wall-clock seconds */
    double best_cpu;   /* CPU seconds of the process */
} measure;

enum { M_MEMORY, M_CHUNKS, M_READ, M_BYHAND, M_INFLATE = 9, M_INFLATE_DECODE = 13 };

static measure measures[] = {
    {"plain  decode from memory, one call", memory_whole, -1, 0, 0},
    {"plain  decode from memory, 1 MiB chunks", memory_chunks, M_MEMORY, 0, 0},
    {"plain  read() alone (the I/O cost)", read_plain, -1, 0, 0},
    {"plain  read() + decode by hand", read_decode, M_MEMORY, 0, 0},
    {"plain  elog_reader_run (malloc)", run_plain, M_MEMORY, 0, 0},
    {"plain  elog_reader_run (caching allocator)", run_plain_cached, M_MEMORY, 0, 0},
    {"plain  elog_reader_run, no read-ahead", run_plain_single, M_MEMORY, 0, 0},
    {"plain    elog_reader_run (malloc) vs by hand", NULL, M_BYHAND, 0, 0},
    {"plain    no read-ahead vs by hand", NULL, M_BYHAND, 0, 0},
    {"gzip   read() + inflate by hand", inflate_only, -1, 0, 0},
    {"gzip   elog_reader_read (malloc)", read_gz, M_INFLATE, 0, 0},
    {"gzip   elog_reader_read (caching allocator)", read_gz_cached, M_INFLATE, 0, 0},
    {"gzip   elog_reader_read, no read-ahead", read_gz_single, M_INFLATE, 0, 0},
    {"gzip   read() + inflate + decode by hand", inflate_decode, M_INFLATE, 0, 0},
    {"gzip   elog_reader_run (malloc)", run_gz, M_INFLATE, 0, 0},
    {"gzip   elog_reader_run (caching allocator)", run_gz_cached, M_INFLATE, 0, 0},
    {"gzip   elog_reader_run, no read-ahead", run_gz_single, M_INFLATE, 0, 0},
};
#define N_MEASURES (sizeof measures / sizeof measures[0])

static double clock_s(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void write_gz(const char *path, const uint8_t *p, size_t n)
{
    gzFile g = gzopen(path, "wb");
    if (!g)
        die(path, "cannot create");
    for (size_t off = 0; off < n; off += CHUNK) {
        unsigned k = (unsigned)(n - off < CHUNK ? n - off : CHUNK);
        if (gzwrite(g, p + off, k) != (int)k)
            die(path, "cannot write");
    }
    if (gzclose(g) != Z_OK)
        die(path, "cannot write");
}

static void save(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0)
        die(path, "cannot write");
}

static void measure_all(const char *title)
{
    struct stat st;
    if (stat(gz_path, &st) != 0)
        die(gz_path, strerror(errno));
    printf("\n%s: %.1f MB (gzip level 6: %.1f MB), x%d = %.1f MB per figure, best of %d "
           "rounds\n%-52s %12s %12s   %s\n", title, plain_len / 1e6, st.st_size / 1e6, reps,
           (double)plain_len * reps / 1e6, rounds, "", "wall", "process CPU",
           "ratio (wall time)");
    for (size_t m = 0; m < N_MEASURES; m++)
        measures[m].best = measures[m].best_cpu = 1e30;
    for (int k = 0; k < rounds; k++)
        for (size_t m = 0; m < N_MEASURES; m++) {
            if (!measures[m].fn)
                continue;
            double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
            measures[m].fn();
            double w = clock_s(CLOCK_MONOTONIC) - w0, c = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
            if (w < measures[m].best)
                measures[m].best = w;
            if (c < measures[m].best_cpu)
                measures[m].best_cpu = c;
        }
    double mb = (double)plain_len * reps / 1e6;
    for (size_t m = 0; m < N_MEASURES; m++) {
        const measure *me = &measures[m];
        /* The two rows without a function compare a row above with
         * another base. */
        const measure *of = me->fn ? me : &measures[m == 7 ? 4 : 6];
        if (me->fn)
            printf("%-52s %7.0f MB/s %7.0f MB/s", me->name, mb / me->best, mb / me->best_cpu);
        else
            printf("%-52s %25s", me->name, "");
        if (me->base >= 0)
            printf("   %.2fx speed, %+5.1f%% time vs %s", measures[me->base].best / of->best,
                   (of->best / measures[me->base].best - 1) * 100,
                   me->base == M_MEMORY ? "memory" : me->base == M_BYHAND ? "by hand"
                                                                           : "inflate by hand");
        printf("\n");
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    plain_path = argc > 1 ? argv[1] : "corpus/conformance/stop.hT.eventlog";
    if (argc > 2)
        reps = atoi(argv[2]);
    if (argc > 3)
        rounds = atoi(argv[3]);
    long large_mb = getenv("LARGE_MB") ? atol(getenv("LARGE_MB")) : 200;
    if (reps < 1 || rounds < 1)
        die("usage", "reader_bench [FILE [REPS [ROUNDS]]]");

    FILE *f = fopen(plain_path, "rb");
    if (!f)
        die(plain_path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0)
        die(plain_path, strerror(errno));
    plain_len = (size_t)st.st_size;
    plain = malloc(plain_len ? plain_len : 1);
    if (!plain || fread(plain, 1, plain_len, f) != plain_len)
        die(plain_path, "cannot read");
    fclose(f);

    const char *tmp = getenv("TMPDIR");
    tmp = tmp ? tmp : "/tmp";
    snprintf(gz_path, sizeof gz_path, "%s/reader_bench-%d.eventlog.gz", tmp, (int)getpid());
    write_gz(gz_path, plain, plain_len);

    elog_reader_options_init(&ropts);
    if (getenv("READ_BUF"))
        ropts.read_buffer_size = strtoul(getenv("READ_BUF"), NULL, 0);
    if (getenv("OUT_BUF"))
        ropts.output_buffer_size = strtoul(getenv("OUT_BUF"), NULL, 0);
    ropts_cached = ropts;
    ropts_cached.allocator = &cached_allocator;
    ropts_single = ropts;
    ropts_single.no_read_ahead = true;

    elog_settings_init(&settings);
    settings.on_event = on_event;
    elog_decoder_init(&dec, &settings, NULL);

    /* Where the data section is, for the large log. */
    elog_decoder_reset(&dec);
    elog_execute(&dec, plain, plain_len);
    elog_end end = elog_finish(&dec);
    const elog_header *h = elog_get_header(&dec);
    if (end.kind != ELOG_END_CLEAN || !h)
        die(plain_path, "not a complete eventlog");
    size_t data_begin = (size_t)h->data_offset, data_end = (size_t)end.offset;

    measure_all(plain_path);
    unlink(gz_path);

    size_t copies = data_end > data_begin
                        ? (size_t)large_mb * 1000000u / (data_end - data_begin) : 0;
    if (copies > 1) {
        size_t section = data_end - data_begin;
        size_t len = data_begin + copies * section + 2;
        uint8_t *big = malloc(len);
        if (!big)
            die("large log", "out of memory");
        memcpy(big, plain, data_begin);
        for (size_t i = 0; i < copies; i++)
            memcpy(big + data_begin + i * section, plain + data_begin, section);
        big[len - 2] = big[len - 1] = 0xff;
        static char big_path[256], title[300];
        snprintf(big_path, sizeof big_path, "%s/reader_bench-%d.eventlog", tmp, (int)getpid());
        save(big_path, big, len);
        write_gz(gz_path, big, len);
        free(plain);
        plain = big;
        plain_len = len;
        plain_path = big_path;
        reps = 1;
        if (rounds > 3)
            rounds = 3;
        snprintf(title, sizeof title, "large log (%zu data sections)", copies);
        measure_all(title);
        unlink(big_path);
        unlink(gz_path);
    }

    elog_decoder_free(&dec);
    for (int i = 0; i < 8; i++)
        free(cache[i].p);
    free(plain);
    return events_seen == 0;
}
