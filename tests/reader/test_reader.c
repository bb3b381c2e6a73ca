/*
 * The file reader (include/eventlog/reader.h) on the real corpus: plain and
 * gzip files, concatenated/corrupt/truncated gzip, stdin and descriptors,
 * follow mode on a growing file and on FIFOs, pause/resume, progress,
 * errors, allocation failures.
 *
 * "The same callbacks" is checked with a digest: every callback with all its
 * arguments (record offset, id, cap, time, size, payload bytes; header
 * types; end-marker offset) is hashed in order, and compared against the
 * same file decoded from memory in one elog_execute() call.
 *
 * Every wait is bounded: writers run in threads that give up after a few
 * seconds, and followed reads always have an idle timeout.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "eventlog.h"
#include "eventlog/reader.h"

/* ---------------------------------------------------------------------------
 * Fixtures: corpus files, a temporary directory
 * ------------------------------------------------------------------------- */

static char corpus_dir[1024];
static char tmp_dir[1024];

typedef struct blob {
    uint8_t *p;
    size_t n;
} blob;

static void path_in(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < cap);
}

static blob load(const char *path)
{
    blob b = {NULL, 0};
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    b.n = (size_t)len;
    b.p = malloc(b.n ? b.n : 1);
    assert_non_null(b.p);
    assert_int_equal(fread(b.p, 1, b.n, f), b.n);
    fclose(f);
    return b;
}

static blob load_corpus(const char *name)
{
    char path[2048];
    path_in(path, sizeof path, corpus_dir, name);
    return load(path);
}

static void save(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void tmp_path(char *out, size_t cap, const char *name)
{
    path_in(out, cap, tmp_dir, name);
}

/* Appends one gzip member holding p[0..n) to `path` (mode "wb" or "ab"). */
static void gz_member(const char *path, const char *mode, const void *p, size_t n)
{
    gzFile g = gzopen(path, mode);
    assert_non_null(g);
    if (n)
        assert_int_equal(gzwrite(g, p, (unsigned)n), (int)n);
    assert_int_equal(gzclose(g), Z_OK);
}

/* b gzip-compressed into the temporary file `name` (its path in out). */
static void gz_tmp(char *out, size_t cap, const char *name, blob b)
{
    tmp_path(out, cap, name);
    gz_member(out, "wb", b.p, b.n);
}

static int setup_group(void **state)
{
    (void)state;
    const char *c = getenv("ELOG_CORPUS_DIR");
    snprintf(corpus_dir, sizeof corpus_dir, "%s", c ? c : "corpus/conformance");
    const char *t = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/elog-reader-XXXXXX", t ? t : "/tmp");
    if (!mkdtemp(tmp_dir))
        return -1;
    return 0;
}

static int teardown_group(void **state)
{
    (void)state;
    DIR *dir = opendir(tmp_dir);
    if (dir) {
        struct dirent *e;
        while ((e = readdir(dir))) {
            if (e->d_name[0] == '.')
                continue;
            char p[2048];
            snprintf(p, sizeof p, "%s/%s", tmp_dir, e->d_name);
            unlink(p);
        }
        closedir(dir);
    }
    rmdir(tmp_dir);
    return 0;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---------------------------------------------------------------------------
 * The digest of a decode
 * ------------------------------------------------------------------------- */

typedef struct rec {
    uint64_t hash;
    uint64_t events, headers, data_ends;
    unsigned pause_every;   /* pause after every Nth event (0: never) */
    uint64_t pauses;
    elog_reader *nested;    /* on_header runs elog_reader_run(nested) once */
    elog_reader_status nested_status;
    unsigned max_threads;   /* most read-ahead threads seen by on_event */
    bool off_main;          /* a callback ran on a thread other than main's */
} rec;

static pthread_t main_thread;

/* How many times a thread has gone to sleep: voluntary_ctxt_switches in
 * its /proc status file (0 if unreadable). */
static uint64_t sleeps_of(const char *status_path)
{
    FILE *f = fopen(status_path, "r");
    if (!f)
        return 0;
    char line[256];
    unsigned long long n = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "voluntary_ctxt_switches: %llu", &n) == 1)
            break;
    fclose(f);
    return n;
}

/* Read-ahead threads of this process (named "elog-read-ahead"), from
 * /proc/self/task; with `sleeps`, also how often they have slept. */
static unsigned read_ahead_threads(uint64_t *sleeps)
{
    DIR *dir = opendir("/proc/self/task");
    if (!dir)
        return 0;
    unsigned n = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], comm[32] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(comm, sizeof comm, f))
                comm[0] = 0;
            fclose(f);
        }
        if (strncmp(comm, "elog-read-ahead", 15) != 0)
            continue;
        n++;
        if (sleeps) {
            snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
            *sleeps += sleeps_of(path);
        }
    }
    closedir(dir);
    return n;
}

static unsigned thread_count(void)
{
    return read_ahead_threads(NULL);
}

static void mix(rec *r, const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = r->hash;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    r->hash = h;
}

static void mix64(rec *r, uint64_t v)
{
    mix(r, &v, sizeof v);
}

static int on_header(elog_decoder *d, const elog_header *h)
{
    rec *r = d->data;
    r->headers++;
    mix64(r, 0x4844);
    mix64(r, h->n_types);
    mix64(r, h->data_offset);
    for (size_t i = 0; i < h->n_types; i++) {
        mix64(r, h->types[i].id);
        mix64(r, h->types[i].size);
        mix(r, h->types[i].description.ptr, h->types[i].description.len);
    }
    if (r->nested) {
        elog_end e;
        r->nested_status = elog_reader_run(r->nested, d, &e);
        r->nested = NULL;
    }
    return ELOG_CB_CONTINUE;
}

static int on_event(elog_decoder *d, const elog_event *ev)
{
    rec *r = d->data;
    r->events++;
    mix64(r, ev->offset);
    mix64(r, ev->id);
    mix64(r, ev->cap);
    mix64(r, ev->time);
    mix64(r, ev->size);
    mix(r, ev->payload.ptr, ev->payload.len);
    if (!pthread_equal(pthread_self(), main_thread))
        r->off_main = true;
    if (r->events % 512 == 1) {
        unsigned t = thread_count();
        if (t > r->max_threads)
            r->max_threads = t;
    }
    if (r->pause_every && r->events % r->pause_every == 0) {
        r->pauses++;
        return ELOG_CB_PAUSE;
    }
    return ELOG_CB_CONTINUE;
}

static int on_data_end(elog_decoder *d, uint64_t offset)
{
    rec *r = d->data;
    r->data_ends++;
    mix64(r, 0xffff);
    mix64(r, offset);
    return ELOG_CB_CONTINUE;
}

static elog_settings settings;

static void init_settings(void)
{
    elog_settings_init(&settings);
    settings.on_header = on_header;
    settings.on_event = on_event;
    settings.on_data_end = on_data_end;
}

typedef struct outcome {
    rec rec;
    elog_end end;
    elog_reader_status status;
    elog_reader_info info;
    char error[700];
    char name[256];         /* a copy of info.name (info.name is NULLed) */
    uint64_t ms;
} outcome;

/* The reference: p[0..n) decoded from memory in one call. */
static outcome decode_memory(const uint8_t *p, size_t n)
{
    outcome o;
    memset(&o, 0, sizeof o);
    init_settings();
    elog_decoder d;
    elog_decoder_init(&d, &settings, &o.rec);
    elog_execute(&d, p, n);
    o.end = elog_finish(&d);
    elog_decoder_free(&d);
    return o;
}

/* Runs an open reader to completion (through any pauses). */
static outcome run_reader(elog_reader *r, unsigned pause_every)
{
    outcome o;
    memset(&o, 0, sizeof o);
    o.rec.pause_every = pause_every;
    init_settings();
    elog_decoder d;
    elog_decoder_init(&d, &settings, &o.rec);
    uint64_t t0 = now_ms();
    do {
        o.status = elog_reader_run(r, &d, &o.end);
    } while (o.status == ELOG_READER_PAUSED);
    o.ms = now_ms() - t0;
    elog_reader_get_info(r, &o.info);
    snprintf(o.name, sizeof o.name, "%s", o.info.name);
    o.info.name = NULL;
    snprintf(o.error, sizeof o.error, "%s", elog_reader_error(r));
    elog_decoder_free(&d);
    return o;
}

/* Opens `path` with the given buffer sizes (0: the default); fails the test
 * if it cannot. */
static elog_reader *open_sized(const char *path, size_t read_buffer, size_t output_buffer)
{
    elog_reader_options o;
    elog_reader_options_init(&o);
    o.read_buffer_size = read_buffer;
    o.output_buffer_size = output_buffer;
    elog_reader *r;
    if (elog_reader_open(&r, path, &o) != ELOG_READER_OK)
        fail_msg("open %s: %s", path, elog_reader_error(r));
    return r;
}

static outcome read_path(const char *path, const elog_reader_options *opts)
{
    elog_reader *r;
    elog_reader_status st = elog_reader_open(&r, path, opts);
    assert_non_null(r);
    if (st != ELOG_READER_OK)
        fail_msg("open %s: %s", path, elog_reader_error(r));
    outcome o = run_reader(r, 0);
    elog_reader_close(r);
    return o;
}

static void assert_same_end(const elog_end *a, const elog_end *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->status, b->status);
    assert_int_equal(a->offset, b->offset);
    assert_int_equal(a->total_bytes, b->total_bytes);
    assert_int_equal(a->id_known, b->id_known);
    assert_int_equal(a->event_id, b->event_id);
    assert_int_equal(a->bytes_missing, b->bytes_missing);
    assert_int_equal(a->trailing_bytes, b->trailing_bytes);
    assert_int_equal(a->events, b->events);
}

static void assert_same(const outcome *want, const outcome *got)
{
    if (got->status != ELOG_READER_OK)
        fail_msg("reader: %s: %s", elog_reader_status_name(got->status), got->error);
    assert_same_end(&want->end, &got->end);
    assert_int_equal(want->rec.events, got->rec.events);
    assert_int_equal(want->rec.headers, got->rec.headers);
    assert_int_equal(want->rec.data_ends, got->rec.data_ends);
    assert_int_equal(want->rec.hash, got->rec.hash);
}

/* Every *.eventlog of the corpus, in directory order; returns the count. */
static size_t corpus_files(char names[][256], size_t cap)
{
    DIR *dir = opendir(corpus_dir);
    if (!dir)
        fail_msg("cannot open the corpus directory %s (set ELOG_CORPUS_DIR)", corpus_dir);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) && n < cap) {
        size_t len = strlen(e->d_name);
        if (len > 9 && strcmp(e->d_name + len - 9, ".eventlog") == 0)
            snprintf(names[n++], 256, "%s", e->d_name);
    }
    closedir(dir);
    return n;
}

/* ---------------------------------------------------------------------------
 * Plain and gzip files
 * ------------------------------------------------------------------------- */

static void test_plain_matches_memory(void **state)
{
    (void)state;
    char names[64][256];
    size_t n = corpus_files(names, 64);
    assert_true(n >= 10);
    for (size_t i = 0; i < n; i++) {
        char path[2048];
        path_in(path, sizeof path, corpus_dir, names[i]);
        blob b = load(path);
        outcome want = decode_memory(b.p, b.n);

        outcome got = read_path(path, NULL);
        assert_same(&want, &got);
        assert_false(got.info.gzip);
        assert_true(got.info.regular);
        assert_int_equal(got.info.size, b.n);
        assert_int_equal(got.info.bytes_read, b.n);
        assert_int_equal(got.info.bytes_out, b.n);
        assert_int_equal(got.info.eof, ELOG_READER_EOF_END);

        /* Small read buffers put chunk boundaries everywhere. */
        size_t sizes[] = {16, 4093};
        for (size_t k = 0; k < 2; k++) {
            if (sizes[k] < 64 && b.n > 100000)
                continue;
            elog_reader_options o;
            elog_reader_options_init(&o);
            o.read_buffer_size = sizes[k];
            got = read_path(path, &o);
            assert_same(&want, &got);
        }
        free(b.p);
    }
}

static void test_gzip_matches_memory(void **state)
{
    (void)state;
    char names[64][256];
    size_t n = corpus_files(names, 64);
    for (size_t i = 0; i < n; i++) {
        char path[2048], gz[2048];
        path_in(path, sizeof path, corpus_dir, names[i]);
        /* No ".gz" in the name: detection is by content. */
        tmp_path(gz, sizeof gz, "compressed.eventlog");
        blob b = load(path);
        gz_member(gz, "wb", b.p, b.n);
        struct stat st;
        assert_int_equal(stat(gz, &st), 0);
        outcome want = decode_memory(b.p, b.n);

        outcome got = read_path(gz, NULL);
        assert_same(&want, &got);
        assert_true(got.info.gzip);
        assert_false(got.info.gzip_truncated);
        assert_int_equal(got.info.gzip_members, 1);
        assert_int_equal(got.info.bytes_read, (uint64_t)st.st_size);
        assert_int_equal(got.info.bytes_out, b.n);
        assert_int_equal(got.info.eof, ELOG_READER_EOF_END);

        if (b.n < 100000) {
            elog_reader_options o;
            elog_reader_options_init(&o);
            o.read_buffer_size = 16;
            o.output_buffer_size = 16;
            got = read_path(gz, &o);
            assert_same(&want, &got);
            o.read_buffer_size = 1000;
            o.output_buffer_size = 777;
            got = read_path(gz, &o);
            assert_same(&want, &got);
        }
        free(b.p);
    }
}

static void test_gzip_concatenated_members(void **state)
{
    (void)state;
    const char *files[] = {"parallelTest.eventlog", "stop.hT.eventlog"};
    for (size_t f = 0; f < 2; f++) {
        blob b = load_corpus(files[f]);
        char gz[2048];
        tmp_path(gz, sizeof gz, "members.eventlog.gz");
        size_t a = b.n / 3 + 1, c = 2 * b.n / 3 + 7;
        gz_member(gz, "wb", b.p, a);
        gz_member(gz, "ab", b.p + a, c - a);
        gz_member(gz, "ab", NULL, 0); /* an empty member */
        gz_member(gz, "ab", b.p + c, b.n - c);
        outcome want = decode_memory(b.p, b.n);
        outcome got = read_path(gz, NULL);
        assert_same(&want, &got);
        assert_int_equal(got.info.gzip_members, 4);
        assert_false(got.info.gzip_truncated);

        elog_reader_options o;
        elog_reader_options_init(&o);
        o.read_buffer_size = 100;
        o.output_buffer_size = 4096;
        got = read_path(gz, &o);
        assert_same(&want, &got);
        free(b.p);
    }
}

/* The offset N in "... at compressed byte N ...". */
static uint64_t compressed_offset(const char *msg)
{
    const char *p = strstr(msg, "compressed byte ");
    if (!p)
        fail_msg("no offset in \"%s\"", msg);
    return strtoull(p + 16, NULL, 10);
}

static void test_gzip_corrupt(void **state)
{
    (void)state;
    blob b = load_corpus("parallelTest.eventlog");
    char gz[2048];
    tmp_path(gz, sizeof gz, "corrupt.gz");
    size_t half = b.n / 2;
    gz_member(gz, "wb", b.p, half);
    struct stat st;
    assert_int_equal(stat(gz, &st), 0);
    size_t first = (size_t)st.st_size;
    gz_member(gz, "ab", b.p + half, b.n - half);
    blob z = load(gz);

    /* An invalid block type (BTYPE 11) in the second member's first block,
     * right after its 10-byte header. */
    uint8_t orig = z.p[first + 10];
    z.p[first + 10] |= 0x06;
    save(gz, z.p, z.n);
    outcome got = read_path(gz, NULL);
    assert_int_equal(got.status, ELOG_READER_E_GZIP);
    assert_non_null(strstr(got.error, gz));
    assert_non_null(strstr(got.error, "member 2"));
    assert_non_null(strstr(got.error, "invalid block type"));
    uint64_t at = compressed_offset(got.error);
    assert_true(at >= first + 10 && at <= first + 11);
    /* The first member was decoded; the decoder was finished on it. */
    assert_true(got.end.kind == ELOG_END_TRUNCATED_IN_EVENT ||
                got.end.kind == ELOG_END_TRUNCATED_BETWEEN_EVENTS);
    assert_int_equal(got.end.total_bytes, half);

    /* A wrong CRC in the first member's trailer. */
    z.p[first + 10] = orig;
    z.p[first - 8] ^= 0xff;
    save(gz, z.p, z.n);
    got = read_path(gz, NULL);
    assert_int_equal(got.status, ELOG_READER_E_GZIP);
    assert_non_null(strstr(got.error, "incorrect data check"));
    assert_non_null(strstr(got.error, "member 1"));
    assert_true(compressed_offset(got.error) <= first);

    /* Garbage after the last member. */
    z.p[first - 8] ^= 0xff;
    uint8_t *g = realloc(z.p, z.n + 7);
    assert_non_null(g);
    z.p = g;
    memcpy(z.p + z.n, "garbage", 7);
    save(gz, z.p, z.n + 7);
    got = read_path(gz, NULL);
    assert_int_equal(got.status, ELOG_READER_E_GZIP);
    assert_non_null(strstr(got.error, "unexpected bytes 67 61"));
    assert_int_equal(compressed_offset(got.error), z.n);
    assert_int_equal(got.end.kind, ELOG_END_CLEAN); /* all the data were there */

    /* Forced gzip on plain input; forced plain on gzip input. */
    elog_reader_options o;
    elog_reader_options_init(&o);
    o.compression = ELOG_READER_GZIP;
    char plain[2048];
    path_in(plain, sizeof plain, corpus_dir, "parallelTest.eventlog");
    got = read_path(plain, &o);
    assert_int_equal(got.status, ELOG_READER_E_GZIP);
    assert_non_null(strstr(got.error, "incorrect header check"));
    o.compression = ELOG_READER_PLAIN;
    got = read_path(gz, &o);
    assert_int_equal(got.status, ELOG_READER_E_DECODE);
    assert_non_null(strstr(got.error, "not a GHC eventlog"));
    free(b.p);
    free(z.p);
}

static void test_gzip_truncated(void **state)
{
    (void)state;
    blob b = load_corpus("stop.hT.eventlog");
    char gz[2048];
    gz_tmp(gz, sizeof gz, "truncated.gz", b);
    blob z = load(gz);
    size_t cuts[] = {z.n * 6 / 10, z.n - 5, 11, 3};
    for (size_t i = 0; i < 4; i++) {
        save(gz, z.p, cuts[i]);
        outcome got = read_path(gz, NULL);
        assert_int_equal(got.status, ELOG_READER_OK);
        assert_true(got.info.gzip_truncated);
        assert_int_equal(got.info.eof, ELOG_READER_EOF_END);
        if (i == 0 || i == 2) /* mid-stream; 11 bytes: the header and one more */
            assert_true(got.end.kind == ELOG_END_TRUNCATED_IN_EVENT ||
                        got.end.kind == ELOG_END_TRUNCATED_BETWEEN_EVENTS ||
                        got.end.kind == ELOG_END_TRUNCATED_IN_HEADER ||
                        got.end.kind == ELOG_END_EMPTY);
        if (i == 0)
            assert_true(got.end.total_bytes < b.n);
        if (i == 1) /* only the trailer is cut: all data are there */
            assert_int_equal(got.end.kind, ELOG_END_CLEAN);
        if (i == 3) /* inside the gzip header */
            assert_int_equal(got.end.kind, ELOG_END_EMPTY);
        /* Exactly what a decode of the bytes that were inflated gives. */
        outcome want = decode_memory(b.p, (size_t)got.end.total_bytes);
        assert_same(&want, &got);
    }

    /* Complete data, then one byte of a new member. */
    uint8_t *g = realloc(z.p, z.n + 1);
    assert_non_null(g);
    z.p = g;
    z.p[z.n] = 0x1f;
    save(gz, z.p, z.n + 1);
    outcome got = read_path(gz, NULL);
    assert_int_equal(got.status, ELOG_READER_OK);
    assert_int_equal(got.end.kind, ELOG_END_CLEAN);
    assert_true(got.info.gzip_truncated);
    assert_int_equal(got.info.gzip_members, 2);
    free(b.p);
    free(z.p);
}

/* ---------------------------------------------------------------------------
 * stdin, descriptors, pipes
 * ------------------------------------------------------------------------- */

static void test_stdin(void **state)
{
    (void)state;
    const char *files[] = {"hello-ghc-8.2.2.eventlog", "stop.hT.eventlog"};
    for (size_t f = 0; f < 2; f++) {
        blob b = load_corpus(files[f]);
        outcome want = decode_memory(b.p, b.n);
        char path[2048];
        path_in(path, sizeof path, corpus_dir, files[f]);
        int saved = dup(STDIN_FILENO);
        int fd = open(path, O_RDONLY);
        assert_true(saved >= 0 && fd >= 0);
        assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
        close(fd);

        outcome got = read_path("-", NULL);
        assert_true(fcntl(STDIN_FILENO, F_GETFD) >= 0); /* not closed */
        assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
        close(saved);
        assert_same(&want, &got);
        assert_int_equal(got.info.size, b.n);
        free(b.p);
    }

    /* stdin positioned after a prefix: offsets count from there. */
    blob b = load_corpus("parallelTest.eventlog");
    char path[2048];
    tmp_path(path, sizeof path, "prefixed");
    uint8_t *both = malloc(b.n + 5);
    assert_non_null(both);
    memcpy(both, "junk!", 5);
    memcpy(both + 5, b.p, b.n);
    save(path, both, b.n + 5);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(lseek(fd, 5, SEEK_SET), 5);
    elog_reader *r;
    assert_int_equal(elog_reader_open_fd(&r, fd, NULL, NULL), ELOG_READER_OK);
    outcome got = run_reader(r, 0);
    elog_reader_close(r);
    assert_true(fcntl(fd, F_GETFD) >= 0); /* still open */
    close(fd);
    outcome want = decode_memory(b.p, b.n);
    assert_same(&want, &got);
    assert_int_equal(got.info.start, 5);
    assert_int_equal(got.info.size, b.n);
    char fdname[32];
    snprintf(fdname, sizeof fdname, "fd %d", fd);
    assert_string_equal(got.name, fdname);
    free(both);
    free(b.p);
}

/* A writer thread: writes `data` to `fd` (or opens `path` for writing) in
 * chunks of `chunk` bytes, `gap_ms` apart, writing only the first `limit`
 * bytes; then, if `hold_ms`, keeps the descriptor open until `release` or
 * hold_ms passed; closes it if it opened it. */
typedef struct writer {
    const char *path;
    int fd;
    int open_flags;
    const uint8_t *data;
    size_t limit, chunk;
    unsigned gap_ms, hold_ms, delay_ms;
    bool close_fd;          /* close `fd` when done (a pipe's write end) */
    atomic_int release;
    int failed;
    pthread_t thread;
} writer;

static void *writer_main(void *arg)
{
    writer *w = arg;
    int fd = w->fd;
    if (w->delay_ms)
        sleep_ms(w->delay_ms);
    if (w->path) {
        /* A FIFO: O_NONBLOCK open fails with ENXIO until the reader opened
         * it; retry for at most 5 s rather than block forever. */
        uint64_t t0 = now_ms();
        for (;;) {
            fd = open(w->path, w->open_flags | O_NONBLOCK);
            if (fd >= 0 || errno != ENXIO || now_ms() - t0 > 5000)
                break;
            sleep_ms(2);
        }
        if (fd < 0) {
            w->failed = 1;
            return NULL;
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    }
    for (size_t off = 0; off < w->limit;) {
        size_t n = w->limit - off < w->chunk ? w->limit - off : w->chunk;
        ssize_t k = write(fd, w->data + off, n);
        if (k <= 0) {
            w->failed = 1;
            break;
        }
        off += (size_t)k;
        if (w->gap_ms)
            sleep_ms(w->gap_ms);
    }
    uint64_t t0 = now_ms();
    while (w->hold_ms && !atomic_load(&w->release) && now_ms() - t0 < w->hold_ms)
        sleep_ms(2);
    if (w->path || w->close_fd)
        close(fd);
    return NULL;
}

static void writer_start(writer *w)
{
    assert_int_equal(pthread_create(&w->thread, NULL, writer_main, w), 0);
}

static void writer_join(writer *w)
{
    atomic_store(&w->release, 1);
    pthread_join(w->thread, NULL);
    assert_int_equal(w->failed, 0);
}

static void test_pipe_fd(void **state)
{
    (void)state;
    blob b = load_corpus("stop.hT.eventlog");
    outcome want = decode_memory(b.p, b.n);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    writer w = {.fd = fds[1], .data = b.p, .limit = b.n, .chunk = 100003, .close_fd = true};
    writer_start(&w);
    elog_reader *r;
    assert_int_equal(elog_reader_open_fd(&r, fds[0], "the pipe", NULL), ELOG_READER_OK);
    outcome got = run_reader(r, 0);
    elog_reader_close(r);
    writer_join(&w);
    close(fds[0]);
    assert_same(&want, &got);
    assert_false(got.info.regular);
    assert_int_equal(got.info.size, 0);
    assert_string_equal(got.name, "the pipe");
    assert_int_equal(got.info.eof, ELOG_READER_EOF_END);
    free(b.p);
}

/* ---------------------------------------------------------------------------
 * Follow mode
 * ------------------------------------------------------------------------- */

static elog_reader_options follow_options(unsigned idle_ms)
{
    elog_reader_options o;
    elog_reader_options_init(&o);
    o.follow = true;
    o.poll_interval_ms = 5;
    o.idle_timeout_ms = idle_ms;
    return o;
}

/* A regular file grown by a writer in chunks, read while it grows. */
static outcome follow_growing(const char *name, const uint8_t *data, size_t limit, size_t chunk,
                              unsigned idle_ms)
{
    char path[2048];
    tmp_path(path, sizeof path, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    writer w = {.fd = fd, .data = data, .limit = limit, .chunk = chunk, .gap_ms = 3,
                .delay_ms = 20, .close_fd = true};
    writer_start(&w);
    elog_reader_options o = follow_options(idle_ms);
    outcome got = read_path(path, &o);
    writer_join(&w);
    return got;
}

static void test_follow_to_end_marker(void **state)
{
    (void)state;
    blob b = load_corpus("parallelTest.eventlog");
    outcome want = decode_memory(b.p, b.n);
    /* The file starts empty: even the header arrives in pieces. */
    outcome got = follow_growing("growing", b.p, b.n, 777, 5000);
    assert_same(&want, &got);
    assert_int_equal(got.end.kind, ELOG_END_CLEAN);
    assert_int_equal(got.info.eof, ELOG_READER_EOF_DATA_END);
    assert_true(got.ms < 4000);
    free(b.p);
}

static void test_follow_idle_timeout(void **state)
{
    (void)state;
    blob b = load_corpus("parallelTest.eventlog");
    size_t part = b.n * 6 / 10 + 3;
    outcome got = follow_growing("growing-truncated", b.p, part, 500, 500);
    assert_int_equal(got.status, ELOG_READER_OK);
    assert_int_equal(got.info.eof, ELOG_READER_EOF_IDLE);
    assert_int_equal(got.end.total_bytes, part);
    assert_true(got.end.kind == ELOG_END_TRUNCATED_IN_EVENT ||
                got.end.kind == ELOG_END_TRUNCATED_BETWEEN_EVENTS);
    outcome want = decode_memory(b.p, part);
    assert_same(&want, &got);
    assert_true(got.ms >= 500 && got.ms < 4000);
    free(b.p);
}

/* gzip written while it is read (follow works on the compressed file). */
static void test_follow_gzip(void **state)
{
    (void)state;
    blob b = load_corpus("ghc-9.2-events.eventlog");
    char gz[2048];
    gz_tmp(gz, sizeof gz, "follow.gz", b);
    blob z = load(gz);
    outcome want = decode_memory(b.p, b.n);
    outcome got = follow_growing("follow-growing.gz", z.p, z.n, 300, 5000);
    assert_same(&want, &got);
    assert_true(got.info.gzip);
    assert_int_equal(got.info.eof, ELOG_READER_EOF_DATA_END);
    free(b.p);
    free(z.p);
}

typedef struct stopper {
    elog_reader *r;
    unsigned after_ms;
    pthread_t thread;
} stopper;

static void *stopper_main(void *arg)
{
    stopper *s = arg;
    sleep_ms(s->after_ms);
    elog_reader_stop(s->r);
    return NULL;
}

static void test_follow_stop(void **state)
{
    (void)state;
    blob b = load_corpus("parallelTest.eventlog");
    char path[2048];
    tmp_path(path, sizeof path, "stopped");
    save(path, b.p, b.n / 2);
    /* Idle timeout 5 s only as a safety net: stop() ends it after 100 ms. */
    elog_reader_options o = follow_options(5000);
    elog_reader *r;
    assert_int_equal(elog_reader_open(&r, path, &o), ELOG_READER_OK);
    stopper s = {r, 100, 0};
    assert_int_equal(pthread_create(&s.thread, NULL, stopper_main, &s), 0);
    outcome got = run_reader(r, 0);
    pthread_join(s.thread, NULL);
    elog_reader_close(r);
    assert_int_equal(got.status, ELOG_READER_OK);
    assert_int_equal(got.info.eof, ELOG_READER_EOF_STOPPED);
    assert_int_equal(got.end.total_bytes, b.n / 2);
    assert_true(got.ms >= 90 && got.ms < 4000);
    free(b.p);
}

/* A pipe whose writer sent part of a log and keeps it open: without follow
 * mode too, elog_reader_stop() ends the wait (it used to block in read(2)
 * until the writer closed), with and without the read-ahead thread. */
static void test_pipe_stop(void **state)
{
    (void)state;
    blob b = load_corpus("parallelTest.eventlog");
    size_t part = b.n / 2 < 30000 ? b.n / 2 : 30000; /* fits the pipe's buffer */
    for (int ahead = 0; ahead < 2; ahead++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        writer w = {.fd = fds[1], .data = b.p, .limit = part, .chunk = 4096,
                    .hold_ms = 8000, .close_fd = true};
        writer_start(&w);
        elog_reader_options o;
        elog_reader_options_init(&o);
        o.poll_interval_ms = 20;
        o.no_read_ahead = !ahead;
        elog_reader *r;
        assert_int_equal(elog_reader_open_fd(&r, fds[0], "held pipe", &o), ELOG_READER_OK);
        stopper s = {r, 200, 0};
        assert_int_equal(pthread_create(&s.thread, NULL, stopper_main, &s), 0);
        outcome got = run_reader(r, 0);
        pthread_join(s.thread, NULL);
        elog_reader_close(r);
        writer_join(&w);
        close(fds[0]);
        assert_int_equal(got.status, ELOG_READER_OK);
        assert_int_equal(got.info.eof, ELOG_READER_EOF_STOPPED);
        assert_int_equal(got.end.total_bytes, part);
        outcome want = decode_memory(b.p, part);
        assert_same(&want, &got);
        assert_true(got.ms >= 190 && got.ms < 4000); /* the writer held it for 8 s */
    }
    free(b.p);
}

static int pause_first(elog_decoder *d, const elog_event *ev)
{
    (void)ev;
    uint64_t *n = d->data;
    return (*n)++ == 0 ? ELOG_CB_PAUSE : ELOG_CB_CONTINUE;
}

/* A followed file that shrinks is an error, not a silent restart. */
static void test_follow_shrink(void **state)
{
    (void)state;
    blob b = load_corpus("parallelTest.eventlog");
    char path[2048];
    tmp_path(path, sizeof path, "shrinking");
    save(path, b.p, b.n / 2);
    elog_reader_options o = follow_options(5000);
    elog_reader *r;
    assert_int_equal(elog_reader_open(&r, path, &o), ELOG_READER_OK);
    elog_settings s;
    elog_settings_init(&s);
    s.on_event = pause_first;
    uint64_t count = 0;
    elog_decoder d;
    elog_decoder_init(&d, &s, &count);
    elog_end end;
    assert_int_equal(elog_reader_run(r, &d, &end), ELOG_READER_PAUSED);
    assert_int_equal(truncate(path, 100), 0);
    assert_int_equal(elog_reader_run(r, &d, &end), ELOG_READER_E_IO);
    assert_non_null(strstr(elog_reader_error(r), "shrank to 100 bytes"));
    assert_non_null(strstr(elog_reader_error(r), path));
    assert_int_equal(end.total_bytes, b.n / 2);
    elog_decoder_free(&d);
    elog_reader_close(r);
    free(b.p);
}

/* ---------------------------------------------------------------------------
 * FIFOs
 * ------------------------------------------------------------------------- */

static void make_fifo(char *path, size_t cap, const char *name)
{
    tmp_path(path, cap, name);
    unlink(path);
    assert_int_equal(mkfifo(path, 0600), 0);
}

static void test_fifo(void **state)
{
    (void)state;
    blob b = load_corpus("stop.hT.eventlog");
    outcome want = decode_memory(b.p, b.n);
    char path[2048];
    make_fifo(path, sizeof path, "fifo");
    writer w = {.path = path, .open_flags = O_WRONLY, .data = b.p, .limit = b.n,
                .chunk = 65536};
    writer_start(&w);
    outcome got = read_path(path, NULL); /* open blocks until the writer opens */
    writer_join(&w);
    assert_same(&want, &got);
    assert_false(got.info.regular);
    assert_int_equal(got.info.eof, ELOG_READER_EOF_END);
    unlink(path);
    free(b.p);
}

/* In follow mode a FIFO whose writer keeps it open after the end marker
 * does not block the reader. */
static void test_fifo_follow_data_end(void **state)
{
    (void)state;
    blob b = load_corpus("parallelTest.eventlog");
    outcome want = decode_memory(b.p, b.n);
    char path[2048];
    make_fifo(path, sizeof path, "fifo-held");
    writer w = {.path = path, .open_flags = O_WRONLY, .data = b.p, .limit = b.n,
                .chunk = 1000, .gap_ms = 2, .hold_ms = 5000};
    writer_start(&w);
    elog_reader_options o = follow_options(5000);
    outcome got = read_path(path, &o);
    uint64_t t = now_ms();
    writer_join(&w);
    assert_same(&want, &got);
    assert_int_equal(got.info.eof, ELOG_READER_EOF_DATA_END);
    assert_true(got.ms < 4000);
    assert_true(now_ms() - t < 1000); /* the writer was still holding it */
    unlink(path);
    free(b.p);
}

static void test_fifo_follow_idle(void **state)
{
    (void)state;
    blob b = load_corpus("parallelTest.eventlog");
    char path[2048];
    make_fifo(path, sizeof path, "fifo-idle");
    size_t part = b.n / 2 + 1;
    writer w = {.path = path, .open_flags = O_WRONLY, .data = b.p, .limit = part,
                .chunk = 1000, .gap_ms = 2, .hold_ms = 5000};
    writer_start(&w);
    elog_reader_options o = follow_options(500);
    outcome got = read_path(path, &o);
    writer_join(&w);
    assert_int_equal(got.status, ELOG_READER_OK);
    assert_int_equal(got.info.eof, ELOG_READER_EOF_IDLE);
    assert_int_equal(got.end.total_bytes, part);
    outcome want = decode_memory(b.p, part);
    assert_same(&want, &got);
    assert_true(got.ms >= 500 && got.ms < 4000);
    unlink(path);
    free(b.p);
}

/* ---------------------------------------------------------------------------
 * Pause/resume, pull, progress
 * ------------------------------------------------------------------------- */

static void test_pause_resume(void **state)
{
    (void)state;
    const char *files[] = {"stop.hT.eventlog", "parallelTest.eventlog"};
    for (size_t f = 0; f < 2; f++) {
        blob b = load_corpus(files[f]);
        outcome want = decode_memory(b.p, b.n);
        char gz[2048];
        gz_tmp(gz, sizeof gz, "pause.gz", b);
        char path[2048];
        path_in(path, sizeof path, corpus_dir, files[f]);
        const char *inputs[] = {path, gz};
        for (size_t i = 0; i < 2; i++) {
            elog_reader_options o;
            elog_reader_options_init(&o);
            o.read_buffer_size = 8192;
            elog_reader *r;
            assert_int_equal(elog_reader_open(&r, inputs[i], &o), ELOG_READER_OK);
            outcome got = run_reader(r, 97);
            elog_reader_close(r);
            assert_same(&want, &got);
            assert_int_equal(got.rec.pauses, want.rec.events / 97);
            assert_true(got.rec.pauses > 0);
        }
        free(b.p);
    }
}

/* After a pause, elog_reader_read() hands out exactly the bytes the decoder
 * did not consume, then the rest of the input. */
static void test_pause_then_pull(void **state)
{
    (void)state;
    blob b = load_corpus("stop.hT.eventlog");
    char path[2048];
    path_in(path, sizeof path, corpus_dir, "stop.hT.eventlog");
    elog_reader *r = open_sized(path, 65536, 0);
    elog_settings s;
    elog_settings_init(&s);
    s.on_event = pause_first;
    uint64_t count = 0;
    elog_decoder d;
    elog_decoder_init(&d, &s, &count);
    elog_end end;
    assert_int_equal(elog_reader_run(r, &d, &end), ELOG_READER_PAUSED);
    uint64_t at = elog_get_offset(&d);
    assert_true(at > 0 && at < 65536);
    const uint8_t *p;
    size_t n;
    uint64_t pos = at;
    for (;;) {
        assert_int_equal(elog_reader_read(r, &p, &n), ELOG_READER_OK);
        if (!n)
            break;
        assert_true(pos + n <= b.n);
        assert_memory_equal(p, b.p + pos, n);
        pos += n;
    }
    assert_int_equal(pos, b.n);
    assert_null(p);
    /* The run sees the end of input. */
    assert_int_equal(elog_reader_run(r, &d, &end), ELOG_READER_OK);
    assert_int_equal(end.total_bytes, at);
    elog_decoder_free(&d);
    elog_reader_close(r);
    free(b.p);
}

static void pull_all(const char *path, const blob *want, size_t in, size_t out)
{
    elog_reader_options o;
    elog_reader_options_init(&o);
    o.read_buffer_size = in;
    o.output_buffer_size = out;
    elog_reader *r;
    assert_int_equal(elog_reader_open(&r, path, &o), ELOG_READER_OK);
    const uint8_t *p;
    size_t n, pos = 0;
    for (;;) {
        assert_int_equal(elog_reader_read(r, &p, &n), ELOG_READER_OK);
        if (!n)
            break;
        assert_true(pos + n <= want->n);
        assert_memory_equal(p, want->p + pos, n);
        pos += n;
    }
    assert_int_equal(pos, want->n);
    /* The end is sticky. */
    assert_int_equal(elog_reader_read(r, &p, &n), ELOG_READER_OK);
    assert_int_equal(n, 0);
    elog_reader_info info;
    elog_reader_get_info(r, &info);
    assert_int_equal(info.bytes_out, want->n);
    assert_int_equal(info.eof, ELOG_READER_EOF_END);
    elog_reader_close(r);
}

static void test_pull(void **state)
{
    (void)state;
    blob b = load_corpus("stop.hT.eventlog");
    char path[2048], gz[2048];
    path_in(path, sizeof path, corpus_dir, "stop.hT.eventlog");
    tmp_path(gz, sizeof gz, "pull.gz");
    gz_member(gz, "wb", b.p, b.n / 2);
    gz_member(gz, "ab", b.p + b.n / 2, b.n - b.n / 2);
    pull_all(path, &b, 0, 0);
    pull_all(path, &b, 1000, 0);
    pull_all(gz, &b, 0, 0);
    pull_all(gz, &b, 333, 1001);
    free(b.p);
}

typedef struct progress_log {
    uint64_t calls, last, total;
    bool increasing, same_total;
} progress_log;

static void on_progress(void *ctx, uint64_t bytes, uint64_t total)
{
    progress_log *l = ctx;
    if (l->calls && bytes <= l->last)
        l->increasing = false;
    if (l->calls && total != l->total)
        l->same_total = false;
    l->calls++;
    l->last = bytes;
    l->total = total;
}

static progress_log progress_of(const char *path, bool follow)
{
    progress_log l = {0, 0, 0, true, true};
    elog_reader_options o;
    elog_reader_options_init(&o);
    o.read_buffer_size = 4096;
    o.progress = on_progress;
    o.progress_ctx = &l;
    o.progress_every = 64 * 1024;
    o.follow = follow;
    o.idle_timeout_ms = 1000;
    outcome got = read_path(path, &o);
    assert_int_equal(got.status, ELOG_READER_OK);
    return l;
}

static void test_progress(void **state)
{
    (void)state;
    blob b = load_corpus("stop.hT.eventlog");
    char path[2048], gz[2048];
    path_in(path, sizeof path, corpus_dir, "stop.hT.eventlog");
    progress_log l = progress_of(path, false);
    assert_true(l.increasing);
    assert_true(l.same_total);
    assert_int_equal(l.last, b.n);
    assert_int_equal(l.total, b.n);
    /* Every 64 KiB plus the final call. */
    assert_int_equal(l.calls, b.n / 65536 + 1);

    gz_tmp(gz, sizeof gz, "progress.gz", b);
    struct stat st;
    assert_int_equal(stat(gz, &st), 0);
    l = progress_of(gz, false);
    assert_true(l.increasing);
    assert_int_equal(l.last, (uint64_t)st.st_size); /* compressed bytes */
    assert_int_equal(l.total, (uint64_t)st.st_size);

    l = progress_of(path, true); /* follow: the size is not final */
    assert_true(l.increasing);
    assert_int_equal(l.last, b.n);
    assert_int_equal(l.total, 0);
    free(b.p);
}

/* ---------------------------------------------------------------------------
 * Errors, sticky results, misuse, allocation
 * ------------------------------------------------------------------------- */

static void test_open_errors(void **state)
{
    (void)state;
    char path[2048];
    tmp_path(path, sizeof path, "does-not-exist.eventlog");
    elog_reader *r;
    assert_int_equal(elog_reader_open(&r, path, NULL), ELOG_READER_E_IO);
    assert_non_null(r);
    char want[2200];
    snprintf(want, sizeof want, "%s: cannot open: %s", path, strerror(ENOENT));
    assert_string_equal(elog_reader_error(r), want);
    /* Running a failed reader finishes the decoder and repeats the error. */
    init_settings();
    rec rc;
    memset(&rc, 0, sizeof rc);
    elog_decoder d;
    elog_decoder_init(&d, &settings, &rc);
    elog_end end;
    assert_int_equal(elog_reader_run(r, &d, &end), ELOG_READER_E_IO);
    assert_int_equal(end.kind, ELOG_END_EMPTY);
    const uint8_t *p;
    size_t n;
    assert_int_equal(elog_reader_read(r, &p, &n), ELOG_READER_E_IO);
    assert_int_equal(n, 0);
    elog_decoder_free(&d);
    elog_reader_close(r);

    assert_int_equal(elog_reader_open(&r, tmp_dir, NULL), ELOG_READER_E_IO);
    snprintf(want, sizeof want, "%s: is a directory", tmp_dir);
    assert_string_equal(elog_reader_error(r), want);
    elog_reader_close(r);

    assert_int_equal(elog_reader_open(&r, NULL, NULL), ELOG_READER_E_USAGE);
    elog_reader_close(r);
    assert_int_equal(elog_reader_open_fd(&r, -1, NULL, NULL), ELOG_READER_E_USAGE);
    elog_reader_close(r);
    elog_reader_close(NULL);
    assert_string_equal(elog_reader_status_name(ELOG_READER_E_GZIP), "ELOG_READER_E_GZIP");
    assert_string_equal(elog_reader_eof_name(ELOG_READER_EOF_IDLE), "idle-timeout");
}

static void test_decode_error(void **state)
{
    (void)state;
    char path[2048], gz[2048];
    tmp_path(path, sizeof path, "hello.txt");
    save(path, "hello, world\n", 13);
    outcome got = read_path(path, NULL);
    assert_int_equal(got.status, ELOG_READER_E_DECODE);
    assert_int_equal(got.end.kind, ELOG_END_ERROR);
    assert_int_equal(got.end.status, ELOG_E_NOT_EVENTLOG);
    char want[2200];
    snprintf(want, sizeof want, "%s: at byte 0: not a GHC eventlog", path);
    assert_memory_equal(got.error, want, strlen(want));

    /* Corrupt data inside the events of a gzip file: decompressed offset. */
    blob b = load_corpus("parallelTest.eventlog");
    outcome ref = decode_memory(b.p, b.n);
    assert_int_equal(ref.end.kind, ELOG_END_CLEAN);
    size_t at = (size_t)ref.end.offset; /* the end marker: make it undeclared */
    b.p[at] = 0x7f;
    gz_tmp(gz, sizeof gz, "bad-event.gz", b);
    got = read_path(gz, NULL);
    assert_int_equal(got.status, ELOG_READER_E_DECODE);
    assert_int_equal(got.end.status, ELOG_E_UNDECLARED);
    snprintf(want, sizeof want, "%s: at byte %zu of the decompressed data: event id", gz, at);
    assert_memory_equal(got.error, want, strlen(want));
    free(b.p);
}

static void test_sticky_and_usage(void **state)
{
    (void)state;
    char path[2048];
    path_in(path, sizeof path, corpus_dir, "parallelTest.eventlog");
    elog_reader *r, *r2;
    assert_int_equal(elog_reader_open(&r, path, NULL), ELOG_READER_OK);
    assert_int_equal(elog_reader_open(&r2, path, NULL), ELOG_READER_OK);
    init_settings();
    rec rc;
    memset(&rc, 0, sizeof rc);
    rc.nested = r2; /* on_header tries to run r2 on the same decoder */
    elog_decoder d;
    elog_decoder_init(&d, &settings, &rc);
    elog_end end, again;
    assert_int_equal(elog_reader_run(r, &d, &end), ELOG_READER_OK);
    assert_int_equal(end.kind, ELOG_END_CLEAN);
    assert_int_equal(rc.nested_status, ELOG_READER_E_USAGE);
    assert_non_null(strstr(elog_reader_error(r2), "refused input"));
    uint64_t events = rc.events;
    memset(&again, 0, sizeof again);
    assert_int_equal(elog_reader_run(r, &d, &again), ELOG_READER_OK);
    assert_same_end(&end, &again);
    assert_int_equal(rc.events, events);
    assert_int_equal(elog_reader_run(r, NULL, NULL), ELOG_READER_OK);

    /* r2 kept the bytes it read: a fresh decoder gets the whole log. */
    elog_decoder d2;
    elog_decoder_init(&d2, &settings, &rc);
    rc.events = 0;
    assert_int_equal(elog_reader_run(r2, &d2, &end), ELOG_READER_OK);
    assert_int_equal(end.kind, ELOG_END_CLEAN);
    assert_int_equal(rc.events, events);
    /* A finished decoder refuses input. */
    elog_reader *r3;
    assert_int_equal(elog_reader_open(&r3, path, NULL), ELOG_READER_OK);
    assert_int_equal(elog_reader_run(r3, &d2, &end), ELOG_READER_E_USAGE);
    elog_reader_close(r3);
    elog_decoder_free(&d);
    elog_decoder_free(&d2);
    elog_reader_close(r);
    elog_reader_close(r2);
}

typedef struct counting {
    long live;          /* blocks allocated and not freed */
    size_t bytes;       /* bytes allocated and not freed */
    long fail_at;       /* fail the Nth allocation (0-based); -1 never */
    long count;
} counting;

static void *c_alloc(void *ctx, size_t size)
{
    counting *c = ctx;
    if (c->fail_at >= 0 && c->count++ == c->fail_at)
        return NULL;
    void *p = malloc(size);
    if (p) {
        c->live++;
        c->bytes += size;
    }
    return p;
}

static void c_free(void *ctx, void *p, size_t size)
{
    counting *c = ctx;
    c->live--;
    c->bytes -= size;
    free(p);
}

static void test_allocator(void **state)
{
    (void)state;
    blob b = load_corpus("parallelTest.eventlog");
    outcome want = decode_memory(b.p, b.n);
    char path[2048], gz[2048];
    path_in(path, sizeof path, corpus_dir, "parallelTest.eventlog");
    gz_tmp(gz, sizeof gz, "alloc.gz", b);
    const char *inputs[] = {path, gz};
    for (size_t i = 0; i < 2; i++) {
        bool succeeded = false;
        for (long k = -1; k < 20 && !succeeded; k++) {
            counting c = {0, 0, k, 0};
            elog_allocator a = {c_alloc, c_free, &c};
            elog_reader_options o;
            elog_reader_options_init(&o);
            o.allocator = &a;
            o.read_buffer_size = 4096;
            elog_reader *r;
            elog_reader_status st = elog_reader_open(&r, inputs[i], &o);
            if (st == ELOG_READER_OK) {
                outcome got = run_reader(r, 0);
                if (k < 0 || got.status == ELOG_READER_OK) {
                    assert_same(&want, &got);
                    succeeded = k >= 0;
                } else {
                    assert_int_equal(got.status, ELOG_READER_E_NOMEM);
                    assert_non_null(strstr(got.error, "out of memory"));
                }
            } else {
                assert_int_equal(st, ELOG_READER_E_NOMEM);
                assert_non_null(strstr(elog_reader_error(r), "out of memory"));
            }
            elog_reader_close(r);
            assert_int_equal(c.live, 0);
            assert_int_equal(c.bytes, 0);
        }
        assert_true(succeeded);
    }
    free(b.p);
}

/* ---------------------------------------------------------------------------
 * Read-ahead: a second thread reads and inflates; nothing else may change
 * ------------------------------------------------------------------------- */

static void *main_only_alloc(void *ctx, size_t size)
{
    counting *c = ctx;
    if (!pthread_equal(pthread_self(), main_thread))
        c->fail_at = -2; /* marks "called off the main thread" */
    return c_alloc(ctx, size);
}

static void main_only_free(void *ctx, void *p, size_t size)
{
    counting *c = ctx;
    if (!pthread_equal(pthread_self(), main_thread))
        c->fail_at = -2;
    c_free(ctx, p, size);
}

/* A joined thread leaves /proc/self/task a moment after pthread_join()
 * returns: wait (bounded) until none is left. */
static void assert_single_thread(void)
{
    for (int i = 0; i < 1000 && thread_count() != 0; i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(thread_count(), 0);
}

static bool progress_off_main, progress_backwards;

/* The final call may repeat the last count; counts never go back. */
static void progress_where(void *ctx, uint64_t bytes, uint64_t total)
{
    progress_log *l = ctx;
    if (l->calls && bytes < l->last)
        progress_backwards = true;
    on_progress(ctx, bytes, total);
    if (!pthread_equal(pthread_self(), main_thread))
        progress_off_main = true;
}

/* Reads `path` with and without read-ahead, with 16 KiB buffers (4 KiB
 * slots, so that every corpus file but the smallest is read ahead, with many
 * hand-overs); both must give what decoding from memory gives, and the same
 * figures. Returns the outcome with read-ahead. */
static outcome read_both_ways(const char *path, const outcome *want, unsigned pause_every)
{
    outcome got[2];
    for (int ahead = 0; ahead < 2; ahead++) {
        counting c = {0, 0, -1, 0};
        elog_allocator a = {main_only_alloc, main_only_free, &c};
        progress_log l = {0, 0, 0, true, true};
        elog_reader_options o;
        elog_reader_options_init(&o);
        o.read_buffer_size = 16384;
        o.output_buffer_size = 16384;
        o.no_read_ahead = !ahead;
        o.allocator = &a;
        o.progress = progress_where;
        o.progress_ctx = &l;
        o.progress_every = 8192;
        progress_off_main = progress_backwards = false;
        assert_single_thread();
        elog_reader *r;
        assert_int_equal(elog_reader_open(&r, path, &o), ELOG_READER_OK);
        got[ahead] = run_reader(r, pause_every);
        elog_reader_close(r);
        assert_int_equal(c.fail_at, -1);   /* the allocator only ever on main */
        assert_int_equal(c.live, 0);
        assert_false(got[ahead].rec.off_main);
        assert_false(progress_off_main);
        assert_false(progress_backwards);
        if (got[ahead].status == ELOG_READER_OK) /* the final call */
            assert_int_equal(l.last, got[ahead].info.bytes_read);

        if (want)
            assert_same(want, &got[ahead]);
    }
    assert_int_equal(got[0].status, got[1].status);
    assert_string_equal(got[0].error, got[1].error);
    /* zlib's output in the call that fails is dropped, and read-ahead
     * inflates in smaller pieces: after a gzip error, the decoder may have
     * seen more of the data with it. */
    if (got[0].status != ELOG_READER_E_GZIP) {
        assert_same_end(&got[0].end, &got[1].end);
        assert_int_equal(got[0].rec.hash, got[1].rec.hash);
    } else {
        assert_true(got[1].end.total_bytes >= got[0].end.total_bytes);
    }
    /* After an error, how far the reader got depends on its chunk sizes. */
    if (got[0].status == ELOG_READER_OK) {
        assert_int_equal(got[0].info.bytes_read, got[1].info.bytes_read);
        assert_int_equal(got[0].info.bytes_out, got[1].info.bytes_out);
        assert_int_equal(got[0].info.gzip_members, got[1].info.gzip_members);
        assert_int_equal(got[0].info.gzip_truncated, got[1].info.gzip_truncated);
        assert_int_equal(got[0].info.eof, got[1].info.eof);
    }
    /* The thread ran only when allowed to (and was joined by close). */
    assert_false(got[0].info.read_ahead);
    if (got[0].rec.events >= 2)
        assert_int_equal(got[0].rec.max_threads, 0);
    assert_single_thread();
    return got[1];
}

static void test_read_ahead_matches(void **state)
{
    (void)state;
    char names[64][256];
    size_t n = corpus_files(names, 64), all = n;
    /* Fewer files under valgrind (scripts/test.sh sets it). */
    const char *max = getenv("ELOG_TEST_FILES_MAX");
    if (max && (size_t)atoi(max) < n)
        n = (size_t)atoi(max);
    unsigned threaded = 0;
    for (size_t i = 0; i < n; i++) {
        char path[2048], gz[2048];
        path_in(path, sizeof path, corpus_dir, names[i]);
        blob b = load(path);
        outcome want = decode_memory(b.p, b.n);
        outcome got = read_both_ways(path, &want, 0);
        assert_int_equal(got.info.bytes_read, b.n);
        assert_int_equal(got.info.eof, ELOG_READER_EOF_END);
        assert_int_equal(got.info.read_ahead, b.n > 4096);
        threaded += got.info.read_ahead;
        if (b.n > 100000) /* the thread is still there, ahead of the decoder */
            assert_int_equal(got.rec.max_threads, 1);
        /* gzip, in two members, so that a member boundary falls in a slot. */
        tmp_path(gz, sizeof gz, "ahead.eventlog.gz");
        gz_member(gz, "wb", b.p, b.n / 3);
        gz_member(gz, "ab", b.p + b.n / 3, b.n - b.n / 3);
        got = read_both_ways(gz, &want, 0);
        assert_true(got.info.gzip);
        assert_int_equal(got.info.gzip_members, 2);
        struct stat st;
        assert_int_equal(stat(gz, &st), 0);
        assert_int_equal(got.info.read_ahead, st.st_size > 4096);
        /* Pauses keep a slot held across calls. */
        if (b.n > 100000) {
            read_both_ways(path, &want, 1000);
            read_both_ways(gz, &want, 1000);
        }
        free(b.p);
    }
    if (n == all)
        assert_true(threaded >= 12); /* 13 of the 18 conformance files */

    /* The pull API hands out the file's bytes, slot by slot. */
    blob b = load_corpus("stop.hT.eventlog");
    char path[2048];
    path_in(path, sizeof path, corpus_dir, "stop.hT.eventlog");
    pull_all(path, &b, 16384, 0);
    free(b.p);
}

/* Both sides of the ring poll for a while, then sleep until the other
 * wakes them (read_ahead.c). A consumer that stops for longer than the
 * thread polls puts the thread to sleep on a full ring; an inflate slower
 * than the decoder puts the caller to sleep on an empty one. Each must be
 * woken every time (a lost wake-up hangs the test until its time limit), and
 * the result must be the bytes in memory's. Whether a side sleeps depends on
 * the scheduler (on a loaded machine the other side may have caught up by
 * the time it runs again), so each case is tried until it did, a few times
 * at most. */
#define SLEEP_TRIES 5

/* A consumer that stops for 2 ms every 4000 events, 16 KiB slots. Returns
 * how often the read-ahead thread slept. */
static uint64_t read_pausing(const char *path, const outcome *want)
{
    elog_reader *r = open_sized(path, 65536, 0);
    outcome got;
    memset(&got, 0, sizeof got);
    got.rec.pause_every = 4000;
    init_settings();
    elog_decoder d;
    elog_decoder_init(&d, &settings, &got.rec);
    uint64_t thread_sleeps = 0;
    while ((got.status = elog_reader_run(r, &d, &got.end)) == ELOG_READER_PAUSED) {
        sleep_ms(2);
        if (got.rec.pauses == 10) /* the thread is still there */
            assert_int_equal(read_ahead_threads(&thread_sleeps), 1);
    }
    elog_reader_get_info(r, &got.info);
    elog_reader_close(r);
    elog_decoder_free(&d);
    assert_int_equal(got.status, ELOG_READER_OK);
    assert_true(got.info.read_ahead);
    assert_true(got.rec.pauses >= 20);
    assert_same(want, &got);
    return thread_sleeps;
}

/* Inflating 256 KiB slots takes the thread far longer than the caller
 * polls. Returns how often the caller's thread slept. */
static uint64_t read_slow_inflate(const char *gz, const outcome *want)
{
    elog_reader *r = open_sized(gz, 0, 1 << 20);
    uint64_t before = sleeps_of("/proc/thread-self/status");
    outcome got = run_reader(r, 0);
    uint64_t sleeps = sleeps_of("/proc/thread-self/status") - before;
    elog_reader_close(r);
    assert_int_equal(got.status, ELOG_READER_OK);
    assert_true(got.info.read_ahead);
    assert_same(want, &got);
    return sleeps;
}

static void test_read_ahead_sleeps(void **state)
{
    (void)state;
    char path[2048], gz[2048];
    path_in(path, sizeof path, corpus_dir, "stop.hT.eventlog");
    blob b = load_corpus("stop.hT.eventlog");
    outcome want = decode_memory(b.p, b.n);
    gz_tmp(gz, sizeof gz, "ahead-sleeps.gz", b);
    uint64_t thread_sleeps = 0, caller_sleeps = 0;
    for (int i = 0; i < SLEEP_TRIES && thread_sleeps == 0; i++)
        thread_sleeps = read_pausing(path, &want);
    for (int i = 0; i < SLEEP_TRIES && caller_sleeps == 0; i++)
        caller_sleeps = read_slow_inflate(gz, &want);
    assert_true(thread_sleeps >= 1); /* it slept on a full ring, and was woken */
    assert_true(caller_sleeps >= 1); /* the caller slept on an empty one */
    free(b.p);
}

/* A corrupt or cut .gz read ahead fails as it does without: same status and
 * message (with the compressed offset); see read_both_ways for the end. */
static void test_read_ahead_gzip_errors(void **state)
{
    (void)state;
    blob b = load_corpus("stop.hT.eventlog");
    char gz[2048];
    gz_tmp(gz, sizeof gz, "ahead-corrupt.gz", b);
    blob z = load(gz);

    /* Mid-stream: here the inflated bytes go wrong before zlib notices, so
     * the decoder stops first (same message, same offset either way). */
    z.p[z.n / 2] ^= 0x55;
    save(gz, z.p, z.n);
    outcome got = read_both_ways(gz, NULL, 0);
    assert_true(got.status == ELOG_READER_E_GZIP || got.status == ELOG_READER_E_DECODE);
    assert_non_null(strstr(got.error, gz));
    assert_int_equal(got.rec.max_threads, 1);
    z.p[z.n / 2] ^= 0x55;

    /* A wrong CRC: zlib fails on the thread, at the very end. */
    z.p[z.n - 8] ^= 0xff;
    save(gz, z.p, z.n);
    got = read_both_ways(gz, NULL, 0);
    assert_int_equal(got.status, ELOG_READER_E_GZIP);
    assert_non_null(strstr(got.error, "incorrect data check"));
    assert_true(compressed_offset(got.error) >= z.n - 8);
    outcome part = decode_memory(b.p, (size_t)got.end.total_bytes);
    assert_int_equal(got.rec.hash, part.rec.hash);
    assert_true(got.end.total_bytes > b.n / 2);
    z.p[z.n - 8] ^= 0xff;

    save(gz, z.p, z.n * 7 / 10); /* cut */
    got = read_both_ways(gz, NULL, 0);
    assert_int_equal(got.status, ELOG_READER_OK);
    assert_true(got.info.gzip_truncated);
    outcome want = decode_memory(b.p, (size_t)got.end.total_bytes);
    assert_same(&want, &got);

    /* Plain, cut mid-event. */
    save(gz, b.p, b.n * 2 / 3 + 5);
    want = decode_memory(b.p, b.n * 2 / 3 + 5);
    got = read_both_ways(gz, &want, 0);
    assert_int_equal(got.end.kind, ELOG_END_TRUNCATED_IN_EVENT);
    free(b.p);
    free(z.p);
}

/* Closing a reader whose thread is blocked on a full ring, or busy, joins it
 * at once; so does a decoder error early in a large file. */
static void test_read_ahead_close_early(void **state)
{
    (void)state;
    char path[2048], gz[2048];
    path_in(path, sizeof path, corpus_dir, "stop.hT.eventlog");
    blob b = load_corpus("stop.hT.eventlog");
    gz_tmp(gz, sizeof gz, "ahead-close.gz", b);
    const char *inputs[] = {path, gz};
    for (size_t i = 0; i < 2; i++) {
        for (int k = 0; k < 20; k++) {
            elog_reader_options o;
            elog_reader_options_init(&o);
            o.read_buffer_size = 16384 << (k % 3);
            o.output_buffer_size = 16384 << (k % 2);
            elog_reader *r;
            assert_int_equal(elog_reader_open(&r, inputs[i], &o), ELOG_READER_OK);
            rec rc;
            memset(&rc, 0, sizeof rc);
            rc.pause_every = 1 + (unsigned)k * 37;
            init_settings();
            elog_decoder d;
            elog_decoder_init(&d, &settings, &rc);
            elog_end end;
            assert_int_equal(elog_reader_run(r, &d, &end), ELOG_READER_PAUSED);
            if (k % 2) { /* let the thread fill the ring and wait */
                struct timespec ts = {0, 2000000};
                nanosleep(&ts, NULL);
            }
            elog_reader_close(r);
            elog_decoder_free(&d);
        }
    }

    /* A decoder error near the start. */
    uint8_t *bad = malloc(b.n);
    assert_non_null(bad);
    memcpy(bad, b.p, b.n);
    memset(bad + 4000, 0xee, 64);
    char cut[2048];
    tmp_path(cut, sizeof cut, "ahead-bad.eventlog");
    save(cut, bad, b.n);
    outcome want = decode_memory(bad, b.n);
    assert_int_equal(want.end.kind, ELOG_END_ERROR);
    outcome got = read_both_ways(cut, NULL, 0);
    assert_int_equal(got.status, ELOG_READER_E_DECODE);
    assert_same_end(&want.end, &got.end);
    free(bad);
    free(b.p);
}

/* ---------------------------------------------------------------------------
 * zstd and xz: recognised by their magic bytes like gzip
 * ------------------------------------------------------------------------- */

enum { ZSTD_FMT, XZ_FMT };

/* p[0..n) compressed as one zstd frame or one xz stream (a fast level). */
static blob compress_one(int fmt, const uint8_t *p, size_t n)
{
    blob z;
    if (fmt == ZSTD_FMT) {
        size_t cap = ZSTD_compressBound(n);
        z.p = malloc(cap);
        assert_non_null(z.p);
        z.n = ZSTD_compress(z.p, cap, p, n, 3);
        assert_false(ZSTD_isError(z.n));
    } else {
        size_t cap = lzma_stream_buffer_bound(n);
        z.p = malloc(cap);
        assert_non_null(z.p);
        z.n = 0;
        assert_int_equal(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, NULL, p, n, z.p, &z.n, cap),
                         LZMA_OK);
    }
    return z;
}

/* Appends q[0..m) to b. */
static void append(blob *b, const void *q, size_t m)
{
    uint8_t *g = realloc(b->p, b->n + m + 1);
    assert_non_null(g);
    b->p = g;
    memcpy(b->p + b->n, q, m);
    b->n += m;
}

static const char *fmt_name(int fmt)
{
    return fmt == ZSTD_FMT ? "zstd" : "xz";
}

static void test_zstd_xz_match_memory(void **state)
{
    (void)state;
    char names[64][256];
    size_t n = corpus_files(names, 64);
    for (int fmt = ZSTD_FMT; fmt <= XZ_FMT; fmt++) {
        for (size_t i = 0; i < n; i++) {
            char path[2048], zp[2048];
            path_in(path, sizeof path, corpus_dir, names[i]);
            tmp_path(zp, sizeof zp, "compressed.eventlog"); /* no suffix: by content */
            blob b = load(path);
            blob z = compress_one(fmt, b.p, b.n);
            save(zp, z.p, z.n);
            outcome want = decode_memory(b.p, b.n);
            outcome got = read_path(zp, NULL);
            assert_same(&want, &got);
            assert_int_equal(got.info.format, fmt == ZSTD_FMT ? ELOG_READER_ZSTD : ELOG_READER_XZ);
            assert_false(got.info.gzip);
            assert_false(got.info.compressed_truncated);
            assert_int_equal(got.info.compressed_members, 1);
            assert_int_equal(got.info.bytes_read, z.n);
            assert_int_equal(got.info.bytes_out, b.n);
            assert_int_equal(got.info.eof, ELOG_READER_EOF_END);
            if (b.n < 100000) { /* chunk boundaries everywhere */
                elog_reader_options o;
                elog_reader_options_init(&o);
                o.read_buffer_size = 16;
                o.output_buffer_size = 16;
                got = read_path(zp, &o);
                assert_same(&want, &got);
                o.read_buffer_size = 1000;
                o.output_buffer_size = 777;
                got = read_path(zp, &o);
                assert_same(&want, &got);
            } else { /* read ahead, and not */
                assert_true(got.info.read_ahead);
                elog_reader_options o;
                elog_reader_options_init(&o);
                o.no_read_ahead = true;
                got = read_path(zp, &o);
                assert_same(&want, &got);
                assert_false(got.info.read_ahead);
            }
            /* Through a pipe: recognised without seeking. */
            int fds[2];
            assert_int_equal(pipe(fds), 0);
            writer w = {.fd = fds[1], .data = z.p, .limit = z.n, .chunk = 3, .close_fd = true};
            if (z.n > 5000)
                w.chunk = 4099;
            writer_start(&w);
            elog_reader *r;
            assert_int_equal(elog_reader_open_fd(&r, fds[0], "the pipe", NULL), ELOG_READER_OK);
            got = run_reader(r, 0);
            elog_reader_close(r);
            writer_join(&w);
            close(fds[0]);
            assert_same(&want, &got);
            assert_int_equal(got.info.format, fmt == ZSTD_FMT ? ELOG_READER_ZSTD : ELOG_READER_XZ);
            free(b.p);
            free(z.p);
        }
    }
}

/* Several frames / streams in one file are one eventlog, as `zstd -d` and
 * `xz -d` read them: zstd skippable frames are stepped over, xz stream
 * padding too. */
static void test_zstd_xz_concatenated(void **state)
{
    (void)state;
    blob b = load_corpus("stop.hT.eventlog");
    outcome want = decode_memory(b.p, b.n);
    size_t a = b.n / 3 + 1, c = 2 * b.n / 3 + 7;
    const size_t cuts[4] = {0, a, c, b.n};
    static const uint8_t skippable[12] = {0x5a, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 'e', 'l', 'o', 'g'};
    static const uint8_t padding[8] = {0};
    for (int fmt = ZSTD_FMT; fmt <= XZ_FMT; fmt++) {
        blob z = {NULL, 0};
        if (fmt == ZSTD_FMT)
            append(&z, skippable, sizeof skippable); /* first: still recognised */
        for (int k = 0; k < 3; k++) {
            blob part = compress_one(fmt, b.p + cuts[k], cuts[k + 1] - cuts[k]);
            append(&z, part.p, part.n);
            free(part.p);
            if (fmt == ZSTD_FMT)
                append(&z, skippable, sizeof skippable);
            else
                append(&z, padding, 4 * (size_t)k);
        }
        char zp[2048];
        tmp_path(zp, sizeof zp, "frames.eventlog");
        save(zp, z.p, z.n);
        outcome got = read_path(zp, NULL);
        assert_same(&want, &got);
        assert_false(got.info.compressed_truncated);
        /* xz: 3 streams; zstd: 3 frames and 4 skippable ones */
        assert_int_equal(got.info.compressed_members, fmt == ZSTD_FMT ? 7 : 3);
        elog_reader_options o;
        elog_reader_options_init(&o);
        o.read_buffer_size = 100;
        o.output_buffer_size = 4096;
        got = read_path(zp, &o);
                assert_same(&want, &got);
        free(z.p);
    }
    free(b.p);
}

/* A growing .zst / .xz file followed to its end marker, as a streaming
 * compressor writes it. */
static void test_follow_zstd_xz(void **state)
{
    (void)state;
    blob b = load_corpus("ghc-9.2-events.eventlog");
    outcome want = decode_memory(b.p, b.n);
    for (int fmt = ZSTD_FMT; fmt <= XZ_FMT; fmt++) {
        blob z = compress_one(fmt, b.p, b.n);
        outcome got = follow_growing("follow-growing.z", z.p, z.n, 300, 5000);
        assert_same(&want, &got);
        assert_int_equal(got.info.format, fmt == ZSTD_FMT ? ELOG_READER_ZSTD : ELOG_READER_XZ);
        assert_int_equal(got.info.eof, ELOG_READER_EOF_DATA_END);
        free(z.p);
    }
    free(b.p);
}

/* Cut short: the bytes decompressed so far are decoded (a truncated log),
 * and the reader says the compressed data were cut. */
static void test_zstd_xz_truncated(void **state)
{
    (void)state;
    blob b = load_corpus("stop.hT.eventlog");
    for (int fmt = ZSTD_FMT; fmt <= XZ_FMT; fmt++) {
        blob z = compress_one(fmt, b.p, b.n);
        char zp[2048];
        tmp_path(zp, sizeof zp, "cut.eventlog");
        size_t cuts[] = {z.n * 6 / 10, z.n - 3, 7};
        for (size_t i = 0; i < 3; i++) {
            save(zp, z.p, cuts[i]);
            outcome got = read_path(zp, NULL);
            if (got.status != ELOG_READER_OK)
                fail_msg("%s cut at %zu: %s", fmt_name(fmt), cuts[i], got.error);
            assert_true(got.info.compressed_truncated);
            assert_int_equal(got.info.eof, ELOG_READER_EOF_END);
            assert_true(got.end.total_bytes < b.n || got.end.kind == ELOG_END_CLEAN);
            if (i == 0)
                assert_true(got.end.total_bytes > 0 && got.end.total_bytes < b.n);
            outcome want = decode_memory(b.p, (size_t)got.end.total_bytes);
            assert_same(&want, &got);
        }
        free(z.p);
    }
    free(b.p);
}

/* Corrupt data and garbage after the last frame: ELOG_READER_E_GZIP with
 * the compressed offset; what came before was decoded. */
static void test_zstd_xz_corrupt(void **state)
{
    (void)state;
    blob b = load_corpus("stop.hT.eventlog");
    for (int fmt = ZSTD_FMT; fmt <= XZ_FMT; fmt++) {
        blob z = compress_one(fmt, b.p, b.n);
        char zp[2048];
        tmp_path(zp, sizeof zp, "corrupt.eventlog");
        size_t at = z.n / 2;
        for (size_t k = 0; k < 16; k++)
            z.p[at + k] ^= 0x5a;
        save(zp, z.p, z.n);
        outcome got = read_path(zp, NULL);
        assert_int_equal(got.status, ELOG_READER_E_GZIP);
        assert_non_null(strstr(got.error, zp));
        char want_word[32];
        snprintf(want_word, sizeof want_word, "corrupt %s data", fmt_name(fmt));
        if (!strstr(got.error, want_word))
            fail_msg("\"%s\" lacks \"%s\"", got.error, want_word);
        uint64_t off = compressed_offset(got.error);
        /* libzstd and liblzma check a block at a time: the offset is where
         * they stopped, past the damage but within the file. */
        assert_true(off <= z.n);
        assert_true(got.end.total_bytes < b.n);
        for (size_t k = 0; k < 16; k++)
            z.p[at + k] ^= 0x5a;

        /* Garbage after the last frame / stream. */
        append(&z, "garbage!", 8);
        save(zp, z.p, z.n);
        got = read_path(zp, NULL);
        assert_int_equal(got.status, ELOG_READER_E_GZIP);
        off = compressed_offset(got.error);
        assert_true(off >= z.n - 8 && off <= z.n);
        assert_int_equal(got.end.kind, ELOG_END_CLEAN); /* all the data were there */
        free(z.p);

        /* Forced on plain input. */
        elog_reader_options o;
        elog_reader_options_init(&o);
        o.compression = fmt == ZSTD_FMT ? ELOG_READER_ZSTD : ELOG_READER_XZ;
        char plain[2048];
        path_in(plain, sizeof plain, corpus_dir, "parallelTest.eventlog");
        got = read_path(plain, &o);
        assert_int_equal(got.status, ELOG_READER_E_GZIP);
        assert_non_null(strstr(got.error, want_word));
    }
    free(b.p);
}

int main(void)
{
    main_thread = pthread_self();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_matches_memory),
        cmocka_unit_test(test_gzip_matches_memory),
        cmocka_unit_test(test_gzip_concatenated_members),
        cmocka_unit_test(test_gzip_corrupt),
        cmocka_unit_test(test_gzip_truncated),
        cmocka_unit_test(test_zstd_xz_match_memory),
        cmocka_unit_test(test_zstd_xz_concatenated),
        cmocka_unit_test(test_follow_zstd_xz),
        cmocka_unit_test(test_zstd_xz_truncated),
        cmocka_unit_test(test_zstd_xz_corrupt),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_pipe_fd),
        cmocka_unit_test(test_follow_to_end_marker),
        cmocka_unit_test(test_follow_idle_timeout),
        cmocka_unit_test(test_follow_gzip),
        cmocka_unit_test(test_follow_stop),
        cmocka_unit_test(test_pipe_stop),
        cmocka_unit_test(test_follow_shrink),
        cmocka_unit_test(test_fifo),
        cmocka_unit_test(test_fifo_follow_data_end),
        cmocka_unit_test(test_fifo_follow_idle),
        cmocka_unit_test(test_pause_resume),
        cmocka_unit_test(test_pause_then_pull),
        cmocka_unit_test(test_pull),
        cmocka_unit_test(test_progress),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_decode_error),
        cmocka_unit_test(test_sticky_and_usage),
        cmocka_unit_test(test_allocator),
        cmocka_unit_test(test_read_ahead_matches),
        cmocka_unit_test(test_read_ahead_gzip_errors),
        cmocka_unit_test(test_read_ahead_close_early),
        cmocka_unit_test(test_read_ahead_sleeps),
    };
    return cmocka_run_group_tests_name("reader", tests, setup_group, teardown_group);
}
