/*
 * Mutation test: thousands of seeded random mutations of real eventlogs (bit
 * flips, byte inserts and deletes, truncations, header-field edits) through
 * the decoder (strict and lenient) and the show formatter. Each input must
 * finish without a crash (the sanitizer build catches memory errors), within
 * a time bound, with memory bounded by the input's header, and every
 * rejection must carry a reason and an offset inside the input.
 *
 *   test_mutation CORPUS_DIR [MUTATIONS_PER_FILE] [SEED]
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eventlog.h"
#include "eventlog/show.h"

#define MAX_SECONDS_PER_INPUT 2.0

static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Counts live and peak bytes so the bound on decoder memory can be checked. */
typedef struct counting {
    size_t live, peak;
} counting;

static void *count_alloc(void *ctx, size_t size)
{
    counting *c = ctx;
    void *p = malloc(size);
    if (p) {
        c->live += size;
        if (c->live > c->peak)
            c->peak = c->live;
    }
    return p;
}

static void count_free(void *ctx, void *ptr, size_t size)
{
    counting *c = ctx;
    c->live -= size;
    free(ptr);
}

static char text_buf[1 << 16];

static int discard(elog_writer *w)
{
    w->len = 0;
    return 0;
}

static int on_event(elog_decoder *d, const elog_event *ev)
{
    elog_writer *w = d->data;
    elog_show_event(w, ev);
    return ELOG_CB_CONTINUE;
}

static int on_header(elog_decoder *d, const elog_header *h)
{
    elog_show_header(d->data, h);
    return ELOG_CB_CONTINUE;
}

static unsigned failures;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            failures++;                                                    \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);           \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
        }                                                                  \
    } while (0)

/* Decodes `buf` in chunks of a random size, counting broken invariants. */
static void decode_one(const uint8_t *buf, size_t len, unsigned options, const char *what)
{
    counting c = {0, 0};
    elog_allocator a = {count_alloc, count_free, &c};
    elog_settings s;
    elog_settings_init(&s);
    s.on_header = on_header;
    s.on_event = on_event;
    s.options = options;
    s.allocator = &a;
    elog_writer w;
    elog_writer_init(&w, text_buf, sizeof text_buf, discard, NULL);
    elog_decoder d;
    elog_decoder_init(&d, &s, &w);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t pos = 0, chunk = 1 + (size_t)(rng() % 8192);
    while (pos < len) {
        size_t n = len - pos < chunk ? len - pos : chunk;
        elog_result r = elog_execute(&d, buf + pos, n);
        if (r.status != ELOG_OK)
            break;
        pos += n;
    }
    elog_end e = elog_finish(&d);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

    CHECK(secs < MAX_SECONDS_PER_INPUT, "%s: took %.2f s", what, secs);
    if (e.kind == ELOG_END_ERROR) {
        CHECK(e.offset <= len, "%s: error offset %" PRIu64 " beyond input of %zu bytes", what,
              e.offset, len);
        CHECK(elog_get_error_reason(&d)[0] != '\0', "%s: error %s without a reason", what,
              elog_status_name(e.status));
    } else {
        CHECK(e.total_bytes == len, "%s: consumed %" PRIu64 " of %zu bytes", what, e.total_bytes,
              len);
    }
    /* The header table is at most a fixed multiple of the header's bytes,
     * plus the id table (<= 256 KiB, and 8 KiB for the hot loop's) and one
     * carry record. */
    size_t bound = 8 * len + (264u << 10) + ELOG_MAX_RECORD_SIZE + (64u << 10);
    CHECK(c.peak <= bound, "%s: peak memory %zu bytes exceeds the bound %zu", what, c.peak,
          bound);
    elog_decoder_free(&d);
    CHECK(c.live == 0, "%s: %zu bytes leaked", what, c.live);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* Applies one to four random mutations; returns the new length. */
static size_t mutate(uint8_t *buf, size_t len, size_t cap)
{
    unsigned n = 1 + (unsigned)(rng() % 4);
    for (unsigned i = 0; i < n && len > 0; i++) {
        size_t at = (size_t)(rng() % len);
        switch (rng() % 6) {
        case 0: /* bit flip */
            buf[at] ^= (uint8_t)(1u << (rng() % 8));
            break;
        case 1: /* byte insert */
            if (len < cap) {
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = (uint8_t)rng();
                len++;
            }
            break;
        case 2: /* byte delete */
            memmove(buf + at, buf + at + 1, len - at - 1);
            len--;
            break;
        case 3: /* truncation */
            len = at;
            break;
        case 4: { /* header-field edit: a declared size, id or description length */
            size_t scan = len < 4096 ? len : 4096;
            size_t starts[512], k = 0;
            for (size_t j = 0; j + 16 < scan && k < 512; j++)
                if (memcmp(buf + j, "etb\0", 4) == 0)
                    starts[k++] = j;
            if (k) {
                size_t et = starts[rng() % k];
                switch (rng() % 3) {
                case 0: buf[et + 6] = (uint8_t)rng(), buf[et + 7] = (uint8_t)rng(); break;
                case 1: buf[et + 4] = (uint8_t)(rng() % 2), buf[et + 5] = (uint8_t)rng(); break;
                default: put32(buf + et + 8, (uint32_t)(rng() % 200)); break;
                }
            }
            break;
        }
        default: /* overwrite with an interesting value */
            buf[at] = (uint8_t[]){0x00, 0xff, 0x7f, 0x80, 0x12, 0xa0}[rng() % 6];
            break;
        }
    }
    return len;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    uint8_t *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR... [--mutations N] [--seed S]\n", argv[0]);
        return 2;
    }
    unsigned per_file = 200;
    uint64_t seed = 20261125;
    unsigned files = 0, inputs = 0, failed_inputs = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mutations") == 0 && i + 1 < argc) {
            per_file = (unsigned)strtoul(argv[++i], NULL, 10);
            continue;
        }
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 10);
            continue;
        }
        DIR *dir = opendir(argv[i]);
        if (!dir) {
            fprintf(stderr, "cannot open %s\n", argv[i]);
            return 1;
        }
        struct dirent *de;
        while ((de = readdir(dir)) != NULL) {
            size_t nl = strlen(de->d_name);
            if (nl < 9 || strcmp(de->d_name + nl - 9, ".eventlog") != 0)
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], de->d_name);
            size_t len;
            uint8_t *orig = read_file(path, &len);
            if (!orig) {
                fprintf(stderr, "cannot read %s\n", path);
                return 1;
            }
            /* Large files: mutate a prefix so the run stays short. */
            if (len > 256 * 1024)
                len = 256 * 1024;
            size_t cap = len + 64;
            uint8_t *buf = malloc(cap);
            for (unsigned m = 0; m < per_file; m++) {
                rng_state = seed ^ ((uint64_t)files << 32) ^ m ^ 0x9e3779b97f4a7c15ull;
                memcpy(buf, orig, len);
                size_t n = mutate(buf, len, cap);
                char what[4200];
                snprintf(what, sizeof what, "%s mutation %u (seed %" PRIu64 ")", de->d_name, m, seed);
                unsigned before = failures;
                decode_one(buf, n, 0, what);
                decode_one(buf, n, ELOG_OPT_CONTINUE_AFTER_END | ELOG_OPT_LENIENT_BLOCKS, what);
                failed_inputs += failures != before;
                inputs++;
            }
            free(buf);
            free(orig);
            files++;
        }
        closedir(dir);
    }
    printf("%u files, %u mutated inputs, each decoded strict and lenient with show: %u failures\n",
           files, inputs, failures);
    if (files == 0) {
        fprintf(stderr, "no .eventlog files found\n");
        return 1;
    }
    printf("%u passed, %u failed\n", inputs - failed_inputs, failed_inputs);
    return failures ? 1 : 0;
}
