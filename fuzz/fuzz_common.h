/* Helpers shared by the fuzz targets: chunking patterns, field hashing,
 * growable output, files and gzip input. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "eventlog.h"
#include "eventlog/reader.h"
#include "eventlog/show.h" /* elog_writer */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Chunk sizes for a feed: fixed sizes 1, 2, 3, 7, 64, 4096 or a seeded
 * pseudo-random walk over 1..512. */
typedef struct fuzz_chunker {
    unsigned pattern;
    uint64_t state;
} fuzz_chunker;

void fuzz_chunker_init(fuzz_chunker *c, unsigned pattern, const uint8_t seed[8]);
size_t fuzz_chunker_next(fuzz_chunker *c, size_t left);

uint64_t fuzz_hash_bytes(const uint8_t *p, size_t n);

/* Hashes every typed field of ev (walks ev->layout->fields), reading every
 * byte of every slice so sanitizers catch bad pointers. */
uint64_t fuzz_hash_fields(const elog_event *ev);

/* Decodes the n bytes at p in one piece with these callbacks (either may be
 * NULL), `options` and decoder data `ctx`; returns how the stream ended. */
elog_end fuzz_decode(const uint8_t *p, size_t n, unsigned options, elog_header_cb on_header,
                     elog_event_cb on_event, void *ctx);

/* A growable text buffer behind an elog_writer: fuzz_sink_flush (the
 * writer's flush function, ctx a fuzz_sink) keeps what was written and gives
 * the writer a fresh window; aborts if out of memory. The caller frees buf. */
typedef struct fuzz_sink {
    char *buf;
    size_t len, cap;
} fuzz_sink;

int fuzz_sink_flush(elog_writer *w);

/* Writes all n bytes to fd (0), or -1 (errno set). */
int fuzz_write_all(int fd, const uint8_t *p, size_t n);
/* A memfd named `name` holding the n bytes at p, positioned at 0; -1 if not. */
int fuzz_memfd(const char *name, const uint8_t *p, size_t n);
/* The rest of f in a malloc'd buffer (its length in *len); NULL if out of
 * memory. The caller closes f and frees the buffer. */
uint8_t *fuzz_read_all(FILE *f, size_t *len);
/* The compressed readers' oracle run: opens the reader on fd with `o` and
 * pulls everything it returns, comparing it with ref[0..ref_len) as far as
 * both go. *st: the last status; *got: the bytes returned; *same: no byte
 * differed. Aborts if the reader ends in an error without a message. Returns
 * the reader (the caller closes it). */
elog_reader *fuzz_read_against(int fd, const elog_reader_options *o, const uint8_t *ref,
                               size_t ref_len, elog_reader_status *st, size_t *got, bool *same);
/* The n bytes at p as one gzip member (zlib `level`), malloc'd, its length in
 * *out_len; NULL if out of memory or zlib refuses. */
uint8_t *fuzz_gzip(const uint8_t *p, size_t n, int level, size_t *out_len);

#endif
